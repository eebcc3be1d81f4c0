import { appendFile, readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { describeIssue } from '../core/validate.js';
import type { DeckState } from '../core/deck-state.js';
import type { OperatorReply } from '../core/mail.js';
import { WORKER_STATUSES, type WorkerRecord } from '../core/worker.js';

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
    .object({ reason: z.string(), source: z.enum(['screen', 'hook', 'mail']), since: z.number() })
    .nullable()
    .default(null),
  activity: z.enum(['busy', 'idle']).default('idle'),
  seenSeq: z.number().default(0),
  answered: z.array(z.string()).default([]),
  createdAt: z.number(),
  updatedAt: z.number(),
  endedAt: z.number().nullable().default(null),
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
});

export interface SavedState {
  nextSeq: number;
  workers: WorkerRecord[];
  replies: OperatorReply[];
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
  };
}

/** The JSON text of `state.json` for a deck state. */
export function serializeState(state: DeckState): string {
  const workers = state.order.map((id) => state.workers[id]).filter((w): w is WorkerRecord => w !== undefined);
  return `${JSON.stringify(
    { version: 1, nextSeq: state.nextSeq, workers, replies: state.replies.slice(-MAX_SAVED_REPLIES) },
    null,
    2,
  )}\n`;
}

/**
 * Writes `state.json` atomically (temp file in the same dir, then rename) and
 * appends to `events.jsonl`. Saves are coalesced: many changes within
 * `delayMs` produce one write. A failed write (full disk, permissions, a
 * state dir moved away) is reported through `onError` once per file until a
 * write of that file works again, and retried with the next change; the
 * deck's memory keeps the truth meanwhile. Once, not once per distinct
 * message: the deck saves each warning, and the temp file's name differs in
 * every failure, so per-message reports would feed themselves for ever.
 */
export class Registry {
  private pending: DeckState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private eventsQueue: Promise<void> = Promise.resolve();
  /** Files whose last write failed (already reported). */
  private readonly failing = new Set<'state' | 'events'>();

  constructor(
    private readonly stateFile: string,
    private readonly eventsFile: string,
    private readonly onError: (message: string) => void,
    private readonly delayMs = 30,
  ) {}

  /** Schedule a save of `state`. */
  save(state: DeckState): void {
    this.pending = state;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeNow();
    }, this.delayMs);
  }

  /** Write any pending state now and wait for all writes and appends. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.writeNow();
    await this.eventsQueue;
  }

  /** Append one event line `{"at": ISO, "type": ..., ...}` to events.jsonl, in order. */
  appendEvent(type: string, fields: Record<string, unknown>, now = Date.now()): void {
    // Every line's `at` is ISO-8601; an event's own epoch-ms `at` is the same moment.
    const { at: _epoch, ...rest } = fields;
    const line = `${JSON.stringify({ at: new Date(now).toISOString(), type, ...rest })}\n`;
    this.eventsQueue = this.eventsQueue.then(() =>
      appendFile(this.eventsFile, line, { mode: 0o600 }).then(
        () => void this.failing.delete('events'),
        (error: Error) => this.report('events', `Cannot append to events.jsonl: ${error.message}`),
      ),
    );
  }

  private writeNow(): Promise<void> {
    const state = this.pending;
    if (!state) return this.writing;
    this.pending = null;
    this.writing = this.writing.then(async () => {
      try {
        await writeFileAtomic(this.stateFile, serializeState(state), { mode: 0o600 });
        this.failing.delete('state');
      } catch (error) {
        this.report('state', `Cannot save state.json: ${(error as Error).message}. The deck keeps running; it retries with the next change.`);
      }
    });
    return this.writing;
  }

  private report(file: 'state' | 'events', message: string): void {
    if (this.failing.has(file)) return;
    this.failing.add(file);
    this.onError(message);
  }
}
