/**
 * Watchdogs: a worker that runs too long (`timeout`, wall clock) or goes
 * quiet (`idleTimeout`: no output and no mail) is stopped, its whole session,
 * and fails with the reason; or, with `onTimeout: "nudge"`, is nudged and
 * given another period. The limits come per spawn, preset or config
 * (`watchdogFor` in src/agents/config.ts).
 *
 * It follows the Deck from outside: `worker-started` starts both clocks,
 * every screen change (parsed output) and every mail of the worker restarts
 * the idle one. A worker waiting on the operator (an open question, a
 * prompt that needs input) is not idle: it is the operator who is late;
 * with `remindAfter`, a question left unanswered that long is recalled to
 * the operator as a warning (every client flashes it), again every period.
 */
import type { WatchdogSpec } from '../agents/config.js';
import { eventMail, unansweredQuestions, type DeckEvent } from '../core/deck-state.js';
import { canNudge, hasLiveProcess, type WorkerRecord } from '../core/worker.js';
import { STOP_GRACE_MS, type Deck } from '../deck.js';

/** How often the limits are checked, in ms: a limit fires at most this late. */
export const WATCHDOG_TICK_MS = 250;

export interface WatchdogOptions {
  /** The worker's settings (its own, its preset's, the config's). */
  specFor(worker: WorkerRecord): WatchdogSpec;
  /** The nudge text for a worker (its preset's). */
  nudgeFor(worker: WorkerRecord): string;
  /** epoch ms; default Date.now */
  now?: () => number;
  /** Check interval in ms; 0 starts no timer (tests call `check`). Default WATCHDOG_TICK_MS. */
  tickMs?: number;
}

interface Clocks {
  /** epoch ms of the start, or of the last nudge for `timeout` */
  startedAt: number;
  /** epoch ms of the last output, mail, reply or nudge */
  activeAt: number;
  /** Set once a limit fired and the stop is under way. */
  firing: boolean;
}

/** Follows a Deck's workers and enforces their watchdog limits; `dispose` stops it. */
export class Watchdog {
  private readonly clocks = new Map<string, Clocks>();
  /** Open questions by mail id: when the deck got each and when it last recalled it, epoch ms. */
  private readonly questions = new Map<string, { at: number; remindedAt: number | null }>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | null;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly deck: Deck,
    private readonly options: WatchdogOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.unsubscribe = [deck.subscribe((_state, event) => this.onEvent(event)), deck.onScreen((id) => this.active(id))];
    // Workers already running (a restart never has any; tests may).
    for (const id of deck.runningIds()) this.clocks.set(id, { startedAt: this.now(), activeAt: this.now(), firing: false });
    const tickMs = options.tickMs ?? WATCHDOG_TICK_MS;
    this.timer = tickMs > 0 ? setInterval(() => this.check(), tickMs) : null;
    this.timer?.unref();
  }

  private onEvent(event: DeckEvent): void {
    switch (event.type) {
      case 'worker-started':
        this.clocks.set(event.id, { startedAt: this.now(), activeAt: this.now(), firing: false });
        break;
      case 'worker-exited':
      case 'worker-removed':
        this.clocks.delete(event.id);
        break;
      case 'mail-received':
      case 'mail-batch':
        for (const m of eventMail(event)) {
          this.active(m.workerId);
          if (m.type === 'question') this.questions.set(m.id, { at: this.now(), remindedAt: null });
        }
        break;
      case 'operator-wrote':
        this.active(event.reply.workerId);
        break;
      default:
        break;
    }
  }

  private active(id: string): void {
    const clocks = this.clocks.get(id);
    if (clocks) clocks.activeAt = this.now();
  }

  /** Check every running worker's limits now; fires those that ran out, and recalls questions waiting too long. */
  check(): void {
    const now = this.now();
    const state = this.deck.getState();
    this.remind(now);
    for (const [id, clocks] of this.clocks) {
      const worker = state.workers[id];
      if (!worker || clocks.firing || !hasLiveProcess(worker) || worker.status === 'completed') continue;
      const spec = this.options.specFor(worker);
      // An open question, a prompt, or a usage limit: the worker waits on the operator or the account.
      const waiting = worker.status === 'asking' || worker.needsInput !== null || Boolean(worker.limit);
      if (spec.timeout > 0 && now - clocks.startedAt >= spec.timeout * 1000) {
        this.fire(worker, clocks, spec, `timed out: running for ${spec.timeout} s (timeout)`);
      } else if (spec.idleTimeout > 0 && !waiting && now - clocks.activeAt >= spec.idleTimeout * 1000) {
        this.fire(worker, clocks, spec, `idle: no output and no mail for ${spec.idleTimeout} s (idleTimeout)`);
      } else if (waiting) {
        // The idle clock starts again once the operator has answered.
        clocks.activeAt = now;
      }
    }
  }

  private remind(now: number): void {
    // Nothing received since start-up waits for a reminder: skip the scan of every mail and reply.
    if (this.questions.size === 0) return;
    const state = this.deck.getState();
    const open = new Set<string>();
    for (const q of unansweredQuestions(state)) {
      open.add(q.id);
      const worker = state.workers[q.workerId];
      const seen = this.questions.get(q.id);
      if (!worker || !seen) continue;
      const after = this.options.specFor(worker).remindAfter * 1000;
      if (after <= 0 || now - (seen.remindedAt ?? seen.at) < after) continue;
      seen.remindedAt = now;
      const waited = Math.round((now - seen.at) / 1000);
      this.deck.warn(`${worker.name}'s question has waited ${waited} s for an answer (r replies): ${q.content.slice(0, 200)}`);
    }
    // Answered, or its worker ended: nothing to recall any more.
    for (const id of this.questions.keys()) if (!open.has(id)) this.questions.delete(id);
  }

  private fire(worker: WorkerRecord, clocks: Clocks, spec: WatchdogSpec, reason: string): void {
    if (spec.onTimeout === 'nudge') {
      clocks.startedAt = clocks.activeAt = this.now();
      // A shell would run the nudge as a command (the same reason u refuses it).
      if (!canNudge(worker)) return this.deck.warn(`${worker.name} ${reason}; a shell worker is not nudged.`);
      this.deck.warn(`${worker.name} ${reason}; nudged it.`);
      void this.deck.type(worker.id, this.options.nudgeFor(worker), 'nudge').catch(() => undefined);
      return;
    }
    clocks.firing = true;
    void this.deck.stop(worker.id, STOP_GRACE_MS, { reason, fail: true });
  }

  /** Stop watching: no timer, no listeners. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    this.clocks.clear();
  }
}
