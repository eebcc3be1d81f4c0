/**
 * `notify.command`: a user command run by the server with one event as one
 * JSON line on its stdin, for a question, a worker that needs input, a
 * completion, a failure and a validation result. It runs with `/bin/sh -c`
 * in a process group of its own, never blocks the server (nothing waits for
 * it), and is killed, its whole group, after its timeout.
 *
 * The line: `{"event": "question", "worker": {"id", "name", "agent", "branch",
 * "status"}, "text": "<the question, reason, summary or verdict>", "at": <epoch ms>}`.
 */
import { spawn } from 'node:child_process';
import type { DeckState } from '../core/deck-state.js';
import { notifyEvents } from '../core/notify.js';
import type { Deck } from '../deck.js';
import { signalGroup } from '../registry/pid.js';

export { notifyEvents, type NotifyEvent, type NotifyEventKind } from '../core/notify.js';

/** Most notify commands running at once; more wait (up to MAX_WAITING, then they are dropped with a warning). */
const MAX_RUNNING = 4;
const MAX_WAITING = 100;

/** Runs the command with `line` on stdin; resolves with null or a sentence saying what went wrong. */
export type NotifyRunner = (line: string) => Promise<string | null>;

/**
 * The default runner: `/bin/sh -c command` with the line on stdin, output
 * ignored, killed with its process group after `timeoutMs`.
 */
export function shellNotifyRunner(command: string, timeoutMs: number, env: NodeJS.ProcessEnv): NotifyRunner {
  return (line) =>
    new Promise((resolve) => {
      let child;
      try {
        child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env });
      } catch (error) {
        return resolve(`cannot start /bin/sh: ${(error as Error).message}`);
      }
      const pid = child.pid;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (pid !== undefined) signalGroup(pid, 'SIGKILL');
        resolve(timedOut ? `killed after ${timeoutMs / 1000} s` : code === 0 ? null : code === null ? `killed by ${signal}` : `exit code ${code}`);
      });
      // A command that does not read its stdin must not fail the write.
      child.stdin.once('error', () => undefined);
      child.stdin.end(`${line}\n`);
    });
}


/**
 * Follows a Deck and runs `notify.command` for each notification, at most
 * MAX_RUNNING at once; a failure becomes a warning (one per failure).
 */
export class Notifier {
  private running = 0;
  private readonly waiting: string[] = [];
  private state: DeckState;
  private readonly off: () => void;

  constructor(
    private readonly deck: Deck,
    private readonly run: NotifyRunner,
    private readonly now: () => number = Date.now,
  ) {
    this.state = deck.getState();
    this.off = deck.subscribe((after, event) => {
      const before = this.state;
      this.state = after;
      if (event.type === 'restored') return;
      for (const n of notifyEvents(before, after, event, this.now())) this.send(JSON.stringify(n));
    });
  }

  private send(line: string): void {
    if (this.running >= MAX_RUNNING) {
      if (this.waiting.length >= MAX_WAITING) return this.deck.warn('notify.command is falling behind; a notification was dropped.');
      this.waiting.push(line);
      return;
    }
    this.running++;
    void this.run(line).then((problem) => {
      this.running--;
      if (problem) this.deck.warn(`notify.command failed: ${problem}.`);
      const next = this.waiting.shift();
      if (next !== undefined) this.send(next);
    });
  }

  /** Stop following the deck (commands under way run to their end or timeout). */
  dispose(): void {
    this.off();
  }
}
