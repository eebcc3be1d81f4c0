/**
 * Ask in wait mode: the operator's reply to a question goes back to the worker's
 * `workerdeck mcp` process as the result of its `ask` tool call, instead of being
 * typed into the worker's PTY.
 *
 * Files, in `<state>/workers/<id>/ask/`, named by the question's mail id `<q>`:
 * - `<q>.wait`    the MCP process waits (JSON `{pid, until}`); written before the question mail.
 * - `<q>.deck`    the deck claimed the question (renamed from `.wait`): the reply comes as a file.
 * - `<q>.expired` the MCP process gave up waiting (renamed from `.wait`): the reply is typed.
 * - `<q>.reply`   the reply (JSON `{content}`), written atomically by the deck after its claim.
 * - `<q>.taken`   the MCP process took the reply (renamed from `.reply`): it is the tool result.
 * - `<q>.returned` the deck took the reply back (renamed from `.reply`) when no one took it in
 *   time: the reply is typed.
 *
 * Every hand-over is a rename of one file that exactly one side wins, so a reply is
 * delivered once: as the tool result, or typed, never both and never neither.
 */
import { access, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { processRunning } from '../registry/pid.js';
import { errorCode } from '../registry/write-fs.js';

/** How often the MCP process looks for the deck's reply file, in ms. */
export const REPLY_POLL_MS = 200;
/** How long the deck waits for the MCP process to take a reply it wrote, in ms. */
export const TAKE_TIMEOUT_MS = 5000;
/** How long the MCP process waits for the reply file once the deck claimed the question, in ms. */
const CLAIMED_GRACE_MS = 10_000;

/** `<workerFiles>/<id>/ask`: the hand-over dir of one worker. */
export function askDir(workerFiles: string, workerId: string): string {
  return path.join(workerFiles, workerId, 'ask');
}

function file(dir: string, questionId: string, kind: string): string {
  return path.join(dir, `${questionId}.${kind}`);
}

/** Rename `from` to `to`: true when this call did it, false when `from` was gone (the other side won). */
async function claim(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** What a wait ended with: the operator's reply, or `null` when it is typed later (or was cancelled). */
export type WaitOutcome = { reply: string } | { reply: null; why: 'timeout' | 'cancelled' };

export interface WaitOptions {
  /** `<state>/workers` */
  workerFiles: string;
  workerId: string;
  /** The question's mail id. */
  questionId: string;
  /** How long to wait for the reply, in ms. */
  waitMs: number;
  /** Aborts the wait (the agent cancelled the tool call). */
  signal?: AbortSignal;
  /** Called every `REPLY_POLL_MS` while waiting (progress notifications). */
  onTick?: () => void;
}

/**
 * The worker side, step 1: mark the question as waited for, before its mail is sent,
 * so the deck finds the mark whenever it answers. Writes `<q>.wait` with this pid.
 * @throws Error when the worker's dir cannot be written
 */
export async function markWaiting(workerFiles: string, workerId: string, questionId: string, waitMs: number, now = Date.now()): Promise<void> {
  const dir = askDir(workerFiles, workerId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file(dir, questionId, 'wait'), `${JSON.stringify({ pid: process.pid, until: now + waitMs })}\n`, { mode: 0o600 });
}

/** Withdraw a mark whose question was never sent (the mail failed). */
export async function unmarkWaiting(workerFiles: string, workerId: string, questionId: string): Promise<void> {
  await unlink(file(askDir(workerFiles, workerId), questionId, 'wait')).catch(() => undefined);
}

/**
 * The worker side, step 2: wait up to `waitMs` for the deck's reply to the marked question.
 * When the time runs out or `signal` aborts, the mark is renamed to `.expired`; if the
 * deck claimed it first, its reply file is still awaited (up to 10 s) and taken.
 * @returns the reply, or null when it will be typed into the PTY instead
 */
export async function waitForReply(options: WaitOptions): Promise<WaitOutcome> {
  const dir = askDir(options.workerFiles, options.workerId);
  const q = options.questionId;
  const take = async (): Promise<string | null> => {
    if (!(await claim(file(dir, q, 'reply'), file(dir, q, 'taken')))) return null;
    const text = await readFile(file(dir, q, 'taken'), 'utf8');
    await unlink(file(dir, q, 'taken')).catch(() => undefined);
    await unlink(file(dir, q, 'deck')).catch(() => undefined);
    return String((JSON.parse(text) as { content?: unknown }).content ?? '');
  };
  const deadline = Date.now() + options.waitMs;
  let why: 'timeout' | 'cancelled' = 'timeout';
  for (;;) {
    if (options.signal?.aborted) {
      why = 'cancelled';
      break;
    }
    const reply = await take();
    if (reply !== null) return { reply };
    if (Date.now() >= deadline) break;
    options.onTick?.();
    await sleep(Math.min(REPLY_POLL_MS, Math.max(0, deadline - Date.now())), options.signal);
  }
  if (await claim(file(dir, q, 'wait'), file(dir, q, 'expired'))) {
    await unlink(file(dir, q, 'expired')).catch(() => undefined);
    return { reply: null, why };
  }
  // A cancelled call has no one to return a reply to: leave it, and the deck takes it back to type it.
  if (why === 'cancelled') return { reply: null, why };
  // The deck claimed the question first: its reply file follows its claim.
  const graceEnd = Date.now() + CLAIMED_GRACE_MS;
  while (Date.now() < graceEnd) {
    const reply = await take();
    if (reply !== null) return { reply };
    await sleep(REPLY_POLL_MS);
  }
  // The deck takes its reply back after TAKE_TIMEOUT_MS and types it.
  return { reply: null, why };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface DeliverOptions {
  workerFiles: string;
  workerId: string;
  questionId: string;
  /** The reply text, already sanitised. */
  content: string;
  /** How long to wait for the MCP process to take the reply, in ms (TAKE_TIMEOUT_MS). */
  takeTimeoutMs?: number;
}

/**
 * The deck side: hand the operator's reply to a waiting `ask` call. Claims the
 * question's `.wait` mark (when its MCP process is alive), writes `.reply` atomically
 * and waits until the MCP process took it; takes it back when it was not taken in time.
 * @returns true when the MCP process took the reply (it is the tool result: type nothing),
 *   false when the reply must be typed as today (no mark, the wait ran out, the
 *   process is gone or did not take it)
 */
export async function deliverReply(options: DeliverOptions): Promise<boolean> {
  const dir = askDir(options.workerFiles, options.workerId);
  const q = options.questionId;
  let mark: { pid?: unknown };
  try {
    mark = JSON.parse(await readFile(file(dir, q, 'wait'), 'utf8')) as { pid?: unknown };
  } catch {
    return false;
  }
  if (typeof mark.pid !== 'number' || !processRunning(mark.pid)) {
    // Its MCP process died with its agent: nobody waits any more.
    await claim(file(dir, q, 'wait'), file(dir, q, 'expired'));
    await unlink(file(dir, q, 'expired')).catch(() => undefined);
    return false;
  }
  if (!(await claim(file(dir, q, 'wait'), file(dir, q, 'deck')))) return false;
  await writeFileAtomic(file(dir, q, 'reply'), `${JSON.stringify({ content: options.content })}\n`, { mode: 0o600 });
  const deadline = Date.now() + (options.takeTimeoutMs ?? TAKE_TIMEOUT_MS);
  for (;;) {
    if (!(await exists(file(dir, q, 'reply')))) return true;
    if (Date.now() >= deadline) break;
    await sleep(50);
  }
  if (await claim(file(dir, q, 'reply'), file(dir, q, 'returned'))) {
    await unlink(file(dir, q, 'returned')).catch(() => undefined);
    await unlink(file(dir, q, 'deck')).catch(() => undefined);
    return false;
  }
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
