/**
 * Permission prompts answered from the deck (issue 12), in the server.
 *
 * - Hook path: an agent's permission hook (`workerdeck hook permission`)
 *   sends `permission-ask` and waits on its connection. The ask is shown as
 *   the worker's `needsInput` (source `hook`) until the operator answers
 *   (`permission-answer`), the wait times out (`permissionTimeout`), or the
 *   hook's connection closes. Without an answer the hook prints nothing and
 *   the agent shows its own dialog, which the screen path then covers.
 * - Screen path: a preset's screen rule with answer keys put the ask on the
 *   worker (src/deck.ts, src/core/permission.ts). On an answer the worker's
 *   screen is read again from its mirror and the key is typed only when the
 *   same dialog is still there; a deny reason is typed as the next prompt
 *   once the dialog has gone.
 *
 * Every answer is one `permission-answered` event: it clears the ask and is
 * the events.jsonl line (worker, source, tool, detail, answer, reason).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_PERMISSION_TIMEOUT_S } from '../agents/config.js';
import type { Deck } from '../deck.js';
import {
  answerLabel,
  cleanAsk,
  describeAsk,
  permissionReason,
  sameAsk,
  screenAnswerKeys,
  screenPrompt,
  type HookAsk,
  type PermissionAnswer,
  type PermissionDecision,
} from '../core/permission.js';
import type { PermissionAsk } from '../core/prompt-detect.js';
import type { NeedsInput } from '../core/worker.js';
import { CommandError } from './execute.js';


/** How long a denied screen dialog may take to leave the screen before its reason is typed, in ms. */
const DIALOG_GONE_MS = 5000;
const DIALOG_POLL_MS = 100;

interface HookWait {
  workerId: string;
  /** What the worker shows while this ask is the one on display. */
  needsInput: NeedsInput;
  finish: (decision: PermissionDecision | null) => void;
}

const desks = new WeakMap<Deck, Permissions>();

export class Permissions {
  /** Hook asks waiting for the operator, by ask id. */
  private readonly waiting = new Map<string, HookWait>();

  private constructor(
    private readonly deck: Deck,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The deck's Permissions; the first call sets the hook path's wait.
   * @param timeoutMs how long a hook ask waits for the operator, in ms
   */
  static of(deck: Deck, timeoutMs = DEFAULT_PERMISSION_TIMEOUT_S * 1000): Permissions {
    let desk = desks.get(deck);
    if (!desk) {
      desk = new Permissions(deck, timeoutMs);
      desks.set(deck, desk);
    }
    return desk;
  }

  /**
   * A permission hook asks the operator and waits.
   * @param workerKey the worker's id (WORKERDECK_WORKER_ID)
   * @param signal aborted when the hook's connection closes (the agent gave up on its hook)
   * @returns the decision, or null when the worker is not a live worker of
   *   this deck, when no answer came within the timeout, or on abort
   */
  ask(workerKey: string, hookAsk: HookAsk, signal?: AbortSignal): Promise<PermissionDecision | null> {
    const worker = this.deck.getState().workers[workerKey];
    if (!worker || !this.deck.isRunning(worker.id) || signal?.aborted) return Promise.resolve(null);
    const id = randomUUID();
    const ask = cleanAsk(hookAsk);
    const needsInput: NeedsInput = {
      reason: permissionReason(ask),
      source: 'hook',
      since: Date.now(),
      permission: { id, ...ask, allowAlways: hookAsk.allowAlways },
    };
    this.deck.dispatch({ type: 'needs-input', id: worker.id, needsInput, source: 'hook' });
    return new Promise((resolve) => {
      const finish = (decision: PermissionDecision | null) => {
        if (!this.waiting.delete(id)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (decision === null) this.withdraw(worker.id, id);
        this.showNext(worker.id);
        resolve(decision);
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(onAbort, this.timeoutMs);
      timer.unref();
      signal?.addEventListener('abort', onAbort);
      this.waiting.set(id, { workerId: worker.id, needsInput, finish });
    });
  }

  /**
   * The operator's answer to ask `askId` of worker `workerKey`.
   * @returns a line for the footer, e.g. `Allowed once: Bash touch a.txt (api)`
   * @throws CommandError when the worker no longer waits on that ask, when the
   *   answer is not offered, or (screen path) when its screen no longer shows
   *   the same dialog: nothing was typed then
   */
  async answer(workerKey: string, seen: { id: string } & PermissionAsk, answer: PermissionAnswer, reasonText: string | null): Promise<string> {
    const worker = this.deck.findWorker(workerKey);
    const name = worker?.name ?? workerKey;
    const current = () => (worker ? this.deck.getState().workers[worker.id]?.needsInput : null);
    const waiting = current();
    const pending = waiting?.permission;
    // The same ask may have come again under a new id (the screen saw the dialog before the hook asked).
    if (!worker || !waiting || !pending || (pending.id !== seen.id && !sameAsk(pending, seen))) {
      throw new CommandError(`${name} no longer waits on that permission prompt; nothing was sent.`);
    }
    if (answer === 'allow-always' && !pending.allowAlways) {
      throw new CommandError(`${name}'s agent offers no "allow always" here: y allows once, N denies.`);
    }
    const reason = answer === 'deny' && reasonText && reasonText.trim() !== '' ? reasonText.trim() : null;
    const what = describeAsk(pending) || 'permission prompt';
    const done = `${answerLabel(answer).replace(/^./, (c) => c.toUpperCase())}: ${what} (${name}).`;
    const event = {
      type: 'permission-answered' as const,
      id: worker.id,
      name: worker.name,
      askId: pending.id,
      tool: pending.tool,
      detail: pending.detail,
      answer,
      reason,
      at: Date.now(),
    };
    const askId = pending.id;
    const hook = this.waiting.get(askId);
    if (hook) {
      this.deck.dispatch({ ...event, source: 'hook' });
      hook.finish({ answer, reason });
      return done;
    }
    if (waiting.source !== 'screen') throw new CommandError(`${name} no longer waits on that permission prompt; nothing was sent.`);
    const rules = this.deck.promptRules(worker.id);
    const rows = await this.screenRows(worker.id);
    // The screen may have changed while it was read: the ask must still be the one answered.
    if (current()?.permission?.id !== askId) throw new CommandError(`${name} no longer waits on that permission prompt; nothing was typed.`);
    const typed = screenAnswerKeys(rows, rules, waiting, answer);
    if ('refused' in typed) throw new CommandError(`${name}: ${typed.refused}.`);
    this.deck.dispatch({ ...event, source: 'screen' });
    this.deck.writeRaw(worker.id, typed.keys);
    if (reason === null) return done;
    // The dialog takes no reason: it goes in as the next prompt, once the dialog is gone.
    const deadline = Date.now() + DIALOG_GONE_MS;
    for (;;) {
      const now = await this.screenRows(worker.id);
      const still = screenPrompt(now, rules);
      if (!still?.permission || !sameAsk(still.permission.ask, pending)) break;
      if (Date.now() > deadline) {
        throw new CommandError(`${name}: the deny key was typed but its dialog is still on screen; the reason was not typed. Attach to tell it.`);
      }
      await new Promise((resolve) => setTimeout(resolve, DIALOG_POLL_MS));
    }
    await this.deck.type(worker.id, reason, 'reply');
    return `${done.slice(0, -1)}, with the reason typed as its next prompt.`;
  }


  /**
   * Asks of one worker can wait together (parallel tool calls): once the one
   * on display is done, the oldest other one still waiting is shown again.
   */
  private showNext(workerId: string): void {
    if (this.deck.getState().workers[workerId]?.needsInput?.permission) return;
    const next = [...this.waiting.values()].find((w) => w.workerId === workerId);
    if (next) this.deck.dispatch({ type: 'needs-input', id: workerId, needsInput: next.needsInput, source: 'hook' });
  }

  /** No answer came: take the ask off the worker, and look at its screen (its agent now shows its own dialog). */
  private withdraw(workerId: string, askId: string): void {
    if (this.deck.getState().workers[workerId]?.needsInput?.permission?.id === askId) {
      this.deck.dispatch({ type: 'needs-input', id: workerId, needsInput: null, source: 'hook' });
    }
    this.deck.recheckPrompt(workerId);
  }

  private async screenRows(id: string): Promise<string[]> {
    const mirror = this.deck.screen(id);
    if (!mirror) return [];
    await mirror.flush();
    return mirror.textRows();
  }
}
