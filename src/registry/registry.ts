import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeIssue } from '../core/validate.js';
import { mailToReload, type DeckState } from '../core/deck-state.js';
import type { OperatorReply } from '../core/mail.js';
import { WORKER_STATUSES, type WorkerRecord } from '../core/worker.js';
import { errorCode, nodeWriteFs, type WriteFs } from './write-fs.js';

/** Operator replies kept in state.json for threads after a restart; all are in events.jsonl. */
const MAX_SAVED_REPLIES = 2000;

const workerSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  agent: z.string(),
  task: z.string().default(''),
  command: z.array(z.string()).default([]),
  cwd: z.string(),
  worktree: z.string().nullable().default(null),
  branch: z.string().nullable().default(null),
  base: z.string().nullable().default(null),
  repo: z.string().nullable().default(null),
  sessionId: z.string().nullable().default(null),
  skipPermissions: z.boolean().default(false),
  pid: z.number().nullable().default(null),
  status: z.enum(WORKER_STATUSES),
  exitCode: z.number().nullable().default(null),
  signal: z.number().nullable().default(null),
  reason: z.string().nullable().default(null),
  note: z.string().nullable().default(null),
  needsInput: z
    .object({
      reason: z.string(),
      source: z.enum(['screen', 'hook', 'mail']),
      since: z.number(),
      permission: z.object({ id: z.string(), tool: z.string(), detail: z.string(), allowAlways: z.boolean() }).optional(),
    })
    .nullable()
    .default(null),
  activity: z.enum(['busy', 'idle']).default('idle'),
  seenSeq: z.number().default(0),
  answered: z.array(z.string()).default([]),
  createdAt: z.number(),
  updatedAt: z.number(),
  endedAt: z.number().nullable().default(null),
  watchdog: z.object({ timeout: z.number().optional(), idleTimeout: z.number().optional() }).optional(),
  queue: z.object({ worktree: z.boolean(), base: z.string(), rank: z.number() }).optional(),
});

const replySchema = z.object({
  id: z.string(),
  workerId: z.string(),
  kind: z.enum(['reply', 'nudge']),
  content: z.string(),
  inReplyTo: z.string().nullable(),
  timestamp: z.number(),
});

const stateFileSchema = z.object({
  version: z.literal(1),
  nextSeq: z.number().int().positive(),
  workers: z.array(workerSchema),
  replies: z.array(replySchema).default([]),
  dismissed: z.record(z.string(), z.number().int().nonnegative()).default({}),
  mailTotals: z.record(z.string(), z.number().int().nonnegative()).optional(),
  mailReload: z.array(z.number().int().positive()).optional(),
});

export interface SavedState {
  nextSeq: number;
  workers: WorkerRecord[];
  replies: OperatorReply[];
  /** Dismissed mail of workers the deck does not know: worker id → highest dismissed seq. */
  dismissed: Record<string, number>;
  /** Messages ever handled per sender; null in a state.json from before it was kept. */
  mailTotals: Record<string, number> | null;
  /** The seqs of `mail/cur` to load at start (see mailToReload); null in a state.json from before. */
  mailReload: number[] | null;
}

/**
 * Read `state.json`. Returns null when there is none yet.
 * @throws Error naming the file and the field when it exists but is not a valid registry.
 */
export async function loadState(file: string): Promise<SavedState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}). Move it aside to start a fresh registry.`);
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file}: ${describeIssue(parsed.error)}.`);
  }
  return {
    nextSeq: parsed.data.nextSeq,
    workers: parsed.data.workers as WorkerRecord[],
    replies: parsed.data.replies,
    dismissed: parsed.data.dismissed,
    mailTotals: parsed.data.mailTotals ?? null,
    mailReload: parsed.data.mailReload ?? null,
  };
}

/** The JSON text of `state.json` for a deck state. */
export function serializeState(state: DeckState): string {
  const workers = state.order.map((id) => state.workers[id]).filter((w): w is WorkerRecord => w !== undefined);
  return `${JSON.stringify(
    {
      version: 1,
      nextSeq: state.nextSeq,
      workers,
      replies: state.replies.slice(-MAX_SAVED_REPLIES),
      dismissed: state.dismissed,
      mailTotals: state.mailTotals,
      mailReload: mailToReload(state),
    },
    null,
    2,
  )}\n`;
}

/** First wait before a failed write is tried again, in ms; it doubles up to `RETRY_MAX_MS`. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;
/** How long `flush()` keeps trying by default, in ms (it runs on quit, which must end within 2 s). */
const FLUSH_DEADLINE_MS = 750;
/** Pause between attempts inside `flush()`, in ms. */
const FLUSH_RETRY_MS = 100;

export interface RegistryOptions {
  /** The file-system writes; default: node:fs/promises and write-file-atomic. */
  fs?: WriteFs;
  /** First retry after a failed write, in ms (500); it doubles after each failure up to `retryMaxMs` (5000). */
  retryMs?: number;
  retryMaxMs?: number;
}

type WriteKind = 'state' | 'events';

/**
 * Writes `state.json` atomically (temp file in the same dir, then rename) and
 * appends to `events.jsonl`. Saves are coalesced: many changes within
 * `delayMs` produce one write; event lines are appended in order, batched
 * while a write is under way.
 *
 * A failed write (full disk, permissions) loses nothing: the newest state and
 * every line not yet written stay in memory, and a retry timer (500 ms,
 * doubling to 5 s; unref'd, so it never keeps the process alive) writes them,
 * held lines first and in order. A partly written append is cut back before
 * it is tried again, so each line lands exactly once. `onNotice` gets one
 * message per distinct failure (by file and error code), and one when writing
 * works again; the Deck shows them as warnings, whose own writes cannot start
 * a new warning while the failure lasts.
 */
export class Registry {
  /** The newest state not yet in state.json. */
  private pending: DeckState | null = null;
  /** True when `pending` should be written now (the coalescing window is over). */
  private stateDue = false;
  private saveTimer: NodeJS.Timeout | null = null;
  /** events.jsonl lines not yet written, oldest first. */
  private lines: string[] = [];
  /** The write pass under way: true when it wrote everything that was due. */
  private pass: Promise<boolean> | null = null;
  /** Work arrived while a pass ran. */
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  /** File → the failure last reported for it; cleared when a write works again. */
  private readonly failing = new Map<WriteKind, string>();
  /** Files that failed and work again, not yet announced (that waits until every write works). */
  private readonly recovered = new Set<WriteKind>();
  /** A partly written append could not be cut back: start the next one on a new line. */
  private tornTail = false;
  private readonly fs: WriteFs;
  private readonly retryFirstMs: number;
  private readonly retryMaxMs: number;

  /**
   * @param stateFile path of state.json
   * @param eventsFile path of events.jsonl
   * @param onNotice gets a sentence for the operator when a write fails and when writing works again
   * @param delayMs coalescing window for state.json saves, in ms
   */
  constructor(
    private readonly stateFile: string,
    private readonly eventsFile: string,
    private readonly onNotice: (message: string) => void,
    private readonly delayMs = 30,
    options: RegistryOptions = {},
  ) {
    this.fs = options.fs ?? nodeWriteFs;
    this.retryFirstMs = options.retryMs ?? RETRY_FIRST_MS;
    this.retryMaxMs = options.retryMaxMs ?? RETRY_MAX_MS;
    this.retryDelay = this.retryFirstMs;
  }

  /** Schedule a save of `state` (written within `delayMs`, or by the retry after a failure). */
  save(state: DeckState): void {
    this.pending = state;
    // While a retry is scheduled, it writes the newest state.
    if (this.saveTimer || this.retryTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.stateDue = true;
      void this.kick();
    }, this.delayMs);
  }

  /** Append one event line `{"at": ISO, "type": ..., ...}` to events.jsonl, after every earlier line. */
  appendEvent(type: string, fields: Record<string, unknown>, now = Date.now()): void {
    // Every line's `at` is ISO-8601; an event's own epoch-ms `at` is the same moment.
    const { at: _epoch, ...rest } = fields;
    this.lines.push(`${JSON.stringify({ at: new Date(now).toISOString(), type, ...rest })}\n`);
    if (!this.retryTimer) void this.kick();
  }

  /**
   * Write the pending state and every held line now, trying again every
   * 100 ms while writes fail, for at most `deadlineMs` (750 ms). A write
   * that hangs is given up on at the deadline too. Never throws.
   * @returns true when everything was written; false when the deadline
   *   passed first (the retry timer keeps trying while the process lives).
   */
  async flush(options: { deadlineMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (options.deadlineMs ?? FLUSH_DEADLINE_MS);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    let expire: NodeJS.Timeout | null = null;
    const expired = new Promise<false>((resolve) => {
      expire = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const attempts = async (): Promise<boolean> => {
      for (;;) {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (this.pending) this.stateDue = true;
        if ((await this.kick()) && !this.hasWork()) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise((resolve) => setTimeout(resolve, Math.min(FLUSH_RETRY_MS, left)));
      }
    };
    try {
      return await Promise.race([attempts(), expired]);
    } finally {
      if (expire) clearTimeout(expire);
    }
  }

  /** The failures not yet overcome, as `file: code` (e.g. `events.jsonl: ENOSPC`); empty when all is written. */
  failures(): string[] {
    return [...this.failing].map(([kind, code]) => `${kind === 'state' ? 'state.json' : 'events.jsonl'}: ${code}`);
  }

  private hasWork(): boolean {
    return this.lines.length > 0 || this.pending !== null;
  }

  /** Start a write pass, or have the one under way go round again. Resolves with the pass's result. */
  private kick(): Promise<boolean> {
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    const pass = (async () => {
      let ok: boolean;
      do {
        this.again = false;
        ok = await this.writeDue();
      } while (ok && this.again);
      return ok;
    })();
    this.pass = pass;
    void pass.then((ok) => {
      this.pass = null;
      if (!ok) return this.scheduleRetry();
      this.retryDelay = this.retryFirstMs;
      // Work that came in after the pass's last round.
      if (this.again || this.lines.length > 0) void this.kick();
    });
    return pass;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.pending) this.stateDue = true;
      void this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  /** One round: held lines first, then the state if it is due. True when both are written. */
  private async writeDue(): Promise<boolean> {
    const eventsOk = await this.writeLines();
    const stateOk = await this.writeState();
    if (this.recovered.size > 0 && this.failing.size === 0) {
      const files = [...this.recovered].map((k) => (k === 'state' ? 'state.json' : 'events.jsonl')).join(' and ');
      this.recovered.clear();
      this.onNotice(`Writing ${files} works again; nothing was lost.`);
    }
    return eventsOk && stateOk;
  }

  private async writeLines(): Promise<boolean> {
    const count = this.lines.length;
    if (count === 0) return true;
    const data = (this.tornTail ? '\n' : '') + this.lines.join('');
    let before: number | null = null;
    try {
      before = await this.fs.size(this.eventsFile);
      await this.fs.appendFile(this.eventsFile, data, { mode: 0o600 });
    } catch (error) {
      if (before !== null) {
        // A full disk can take part of the data: cut it back, or the retry would repeat it.
        await this.fs.truncate(this.eventsFile, before).catch(() => {
          this.tornTail = true;
        });
      }
      this.fail('events', error, `Cannot append to events.jsonl (${(error as Error).message}). ${count} line${count === 1 ? ' is' : 's are'} held in memory and written in order once it works again.`);
      return false;
    }
    this.lines.splice(0, count);
    this.tornTail = false;
    this.succeed('events');
    return true;
  }

  private async writeState(): Promise<boolean> {
    const state = this.pending;
    if (!state || !this.stateDue) return true;
    this.pending = null;
    this.stateDue = false;
    try {
      await this.fs.writeFileAtomic(this.stateFile, serializeState(state), { mode: 0o600 });
    } catch (error) {
      // A newer state that came in meanwhile supersedes this one.
      this.pending ??= state;
      this.stateDue = true;
      this.fail('state', error, `Cannot save state.json (${(error as Error).message}). The deck keeps running with its state in memory and retries until it can write.`);
      return false;
    }
    this.succeed('state');
    return true;
  }

  private fail(kind: WriteKind, error: unknown, message: string): void {
    // One notice per distinct failure, not one per retry or per keystroke.
    const code = errorCode(error);
    if (this.failing.get(kind) === code) return;
    this.failing.set(kind, code);
    this.onNotice(message);
  }

  private succeed(kind: WriteKind): void {
    if (this.failing.delete(kind)) this.recovered.add(kind);
  }
}
