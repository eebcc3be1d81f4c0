/**
 * Usage limits, past the reset: a worker whose agent hit a usage limit shows
 * `limited` until its screen no longer shows the limit (the Deck sees that)
 * or until the reset time it printed has passed. Then, with
 * `resumeAfterLimit`, the deck nudges it to continue, unless the agent
 * resumes by itself (Claude Code says `Continuing automatically at …`).
 * A limit without a reset time the deck could read waits for the screen.
 */
import type { WatchdogSpec } from '../agents/config.js';
import { canNudge, hasLiveProcess, type WorkerRecord } from '../core/worker.js';
import type { Deck } from '../deck.js';

/** How long after the printed reset the deck acts, ms: the agents print minutes, and clocks differ. */
export const RESET_GRACE_MS = 60_000;

/** How often resets are checked, ms. */
const LIMIT_TICK_MS = 1000;

export interface LimitWatchOptions {
  /** The worker's settings (its preset's, the config's); only `resumeAfterLimit` is read. */
  specFor(worker: WorkerRecord): Pick<WatchdogSpec, 'resumeAfterLimit'>;
  /** The nudge text for a worker (its preset's). */
  nudgeFor(worker: WorkerRecord): string;
  /** epoch ms; default Date.now */
  now?: () => number;
  /** Check interval in ms; 0 starts no timer (tests call `check`). Default 1000. */
  tickMs?: number;
  /** ms after the reset before it counts; default RESET_GRACE_MS */
  graceMs?: number;
}

/** Ends usage limits whose reset has come, and resumes their workers where configured; `dispose` stops it. */
export class LimitWatch {
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly deck: Deck,
    private readonly options: LimitWatchOptions,
  ) {
    this.now = options.now ?? Date.now;
    const tickMs = options.tickMs ?? LIMIT_TICK_MS;
    this.timer = tickMs > 0 ? setInterval(() => this.check(), tickMs) : null;
    this.timer?.unref();
  }

  /** End every limit whose reset (plus the grace) has passed; nudge those set to resume. */
  check(): void {
    const now = this.now();
    const grace = this.options.graceMs ?? RESET_GRACE_MS;
    for (const worker of Object.values(this.deck.getState().workers)) {
      const limit = worker.limit;
      if (!limit || limit.resetAt === null || now < limit.resetAt + grace || !hasLiveProcess(worker)) continue;
      // A shell would run the nudge as a command (the reason u refuses it there).
      const resume = !limit.resumesItself && canNudge(worker) && this.options.specFor(worker).resumeAfterLimit;
      this.deck.endLimit(worker.id, resume);
      if (resume) void this.deck.type(worker.id, this.options.nudgeFor(worker), 'nudge').catch(() => undefined);
    }
  }

  /** Stop the timer. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
