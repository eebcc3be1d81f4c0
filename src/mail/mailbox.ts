import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { MAX_MAIL_BYTES, parseMail, type MailMessage } from '../core/mail.js';
import type { StateLayout } from '../registry/state-dir.js';
import { errorCode, nodeWriteFs, type WriteFs } from '../registry/write-fs.js';

export interface MailboxHandlers {
  /** A valid message, already moved to `cur/`, with its sequence number. */
  onMessage(message: MailMessage): void;
  /**
   * The valid messages of one batch, already moved to `cur/`, in seq order.
   * Optional: without it, `onMessage` gets them one by one.
   */
  onMessages?(messages: MailMessage[]): void;
  /** A file moved to `bad/`, with the reason written beside it. */
  onBad(file: string, reason: string): void;
  /** Hands out the next sequence number. */
  nextSeq(): number;
  /**
   * Takes back `seq`, the last number handed out, when the move into `cur/`
   * failed, so no gap is left in the sequence. Optional: without it that seq stays unused.
   */
  releaseSeq?(seq: number): void;
  /** A sentence for the operator when moving mail fails (once per error code), and when it works again. */
  onError?(message: string): void;
}

/** Where the reason of each file in `mail/bad` is written: `mail/bad/.reasons/<name>`. */
export function reasonsDir(layout: StateLayout): string {
  return path.join(layout.mail.bad, '.reasons');
}

/** How often `new/` is listed as a safety net beside the watcher, in ms. */
const RESCAN_MS = 2000;

const SEQ_WIDTH = 10;

/** Files checked and read together; claims within a batch are still one by one, in order. */
const BATCH = 64;

/** One file of `mail/new`, checked and read: a message, a file for `bad/`, or gone (claimed elsewhere). */
type Read = { kind: 'ok'; message: Omit<MailMessage, 'seq'> } | { kind: 'bad'; reason: string } | { kind: 'gone' };

/**
 * The deck side of the Maildir. Watches `mail/new` with chokidar (files already
 * there at start-up are handled too), validates each file, and moves it to
 * `mail/cur/<seq>_<name>`; the rename is the claim, so every message is
 * handled exactly once, even if two watchers race across a restart. A
 * malformed, oversized (> 64 KiB) or symlinked file goes to `mail/bad` with a
 * reason in `mail/bad/.reasons/<name>`. Nothing is ever deleted.
 */
export class Mailbox {
  private watcher: FSWatcher | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  /** Names listed in `new/` and not taken in hand yet, in name order. */
  private queue: string[] = [];
  private draining: Promise<void> | null = null;
  /** new/ changed since it was last listed: list it once the queue is empty. */
  private dirty = false;
  private closed = false;
  /** The error code moves into cur/ or bad/ last failed with, until one works again. */
  private failing: string | null = null;

  constructor(
    private readonly layout: StateLayout,
    private readonly handlers: MailboxHandlers,
    private readonly fs: WriteFs = nodeWriteFs,
  ) {}

  /** Start watching; resolves once what was in `new/` at the start is handled. */
  async start(): Promise<void> {
    // chokidar only says that new/ changed; the Mailbox lists new/ itself, names only. Its
    // entries are ignored, because for each change chokidar would stat and list all of them
    // (with thousands waiting, O(n²): a 3,000-message backlog drained at ~500/s).
    const root = path.resolve(this.layout.mail.new);
    const watcher = watch(root, {
      depth: 0,
      ignoreInitial: true,
      followSymlinks: false,
      alwaysStat: false,
      ignored: (file) => path.dirname(path.resolve(file)) === root,
    });
    this.watcher = watcher;
    watcher.on('raw', () => this.changed());
    watcher.on('error', () => this.changed());
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.changed();
    this.rescanTimer = setInterval(() => this.changed(), RESCAN_MS);
    this.rescanTimer.unref();
    await this.idle();
  }

  /** Resolves when every file seen so far has been handled (or the mailbox closed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Stop watching. Resolves once the message being handled is done (moved
   * and reported); a backlog is not drained but left in `mail/new` for the
   * next start, so stopping takes milliseconds however much mail waits.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    await this.watcher?.close();
    await this.idle();
  }

  /** Something changed in new/ (or the safety-net timer fired): list it when the queue is empty. */
  private changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.dirty && !this.closed) this.changed();
    });
  }

  /**
   * Handle the queue in batches of BATCH: the files of a batch are checked
   * and read together, then claimed one by one in order (each claim takes
   * the next seq). new/ is listed again only when the queue is empty, so a
   * name is never in hand twice. Between batches the event loop runs, so a
   * backlog of thousands never holds up drawing or a quit.
   */
  private async drain(): Promise<void> {
    while (!this.closed) {
      if (this.queue.length === 0) {
        if (!this.dirty) break;
        this.dirty = false;
        try {
          // Synchronous, as the reads below: names only, and no wait behind the thread pool.
          this.queue = readdirSync(this.layout.mail.new).filter((name) => !name.startsWith('.')).sort();
        } catch {
          // Not listable now: the next change or the safety net tries again.
        }
        continue;
      }
      const batch = this.queue.slice(0, BATCH);
      this.queue = this.queue.slice(batch.length);
      const read = batch.map((name) => this.read(name));
      // Closing while reading: nothing of this batch is claimed, all of it stays in new/.
      if (this.closed) break;
      const claimed = await this.claimAll(batch, read);
      // Reported even when closing: these are in cur/ already.
      if (this.handlers.onMessages) this.handlers.onMessages(claimed);
      else for (const message of claimed) this.handlers.onMessage(message);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Closing: what is left stays in new/ for the next start.
    if (this.closed) this.queue = [];
  }

  /**
   * Check and read one file of `mail/new`, with synchronous calls: a mail
   * file is at most 64 KiB, and on a busy machine the thread pool's round
   * trips cost more than the reads. Opened with O_NOFOLLOW and O_NONBLOCK and
   * checked on the open descriptor, so neither a symlink nor a FIFO swapped
   * in after a check can make the deck follow it or wait on it.
   */
  private read(name: string): Read {
    let fd: number;
    try {
      fd = openSync(path.join(this.layout.mail.new, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if (errorCode(error) === 'ELOOP') return { kind: 'bad', reason: 'symlinks are refused' };
      return { kind: 'gone' }; // Already claimed by another watcher.
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return { kind: 'bad', reason: 'not a regular file' };
      if (info.size > MAX_MAIL_BYTES) return { kind: 'bad', reason: `file is ${info.size} bytes; the limit is ${MAX_MAIL_BYTES} bytes` };
      const parsed = parseMail(readFileSync(fd, 'utf8'));
      return parsed.ok ? { kind: 'ok', message: parsed.message } : { kind: 'bad', reason: parsed.reason };
    } catch {
      return { kind: 'gone' };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Move the valid files of a batch into `cur/`, each with the next seq in
   * name order, all renames at once; bad files go to `bad/`. A move that
   * fails gives its seq back when it is the last one handed out (a gap is
   * left otherwise: seqs order mail, they need not be dense).
   * @returns the messages now in `cur/`, in seq order
   */
  private async claimAll(names: string[], read: Read[]): Promise<MailMessage[]> {
    const claims: { name: string; message: MailMessage }[] = [];
    for (let i = 0; i < names.length; i++) {
      const r = read[i] as Read;
      if (r.kind === 'ok') claims.push({ name: names[i] as string, message: { ...r.message, seq: this.handlers.nextSeq() } });
    }
    const moved = await Promise.all(
      claims.map(({ name, message }) =>
        this.fs.rename(path.join(this.layout.mail.new, name), path.join(this.layout.mail.cur, `${String(message.seq).padStart(SEQ_WIDTH, '0')}_${name}`)).then(
          () => true,
          (error: unknown) => {
            // ENOENT: another watcher claimed it first. Anything else leaves it in new/ for the next rescan.
            if (errorCode(error) !== 'ENOENT') this.moveFailed(name, 'cur', error);
            return false;
          },
        ),
      ),
    );
    for (let i = claims.length - 1; i >= 0; i--) if (!moved[i]) this.handlers.releaseSeq?.((claims[i] as { message: MailMessage }).message.seq);
    if (moved.some(Boolean)) this.moveWorked();
    for (let i = 0; i < names.length; i++) {
      const r = read[i] as Read;
      if (r.kind === 'bad') await this.reject(names[i] as string, r.reason);
    }
    return claims.filter((_, i) => moved[i]).map((c) => c.message);
  }

  private async reject(name: string, reason: string): Promise<void> {
    const target = path.join(this.layout.mail.bad, name);
    try {
      await this.fs.rename(path.join(this.layout.mail.new, name), target);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') this.moveFailed(name, 'bad', error);
      return;
    }
    this.moveWorked();
    // The file is in bad/ already: a missing reason loses no mail, the warning below still names the reason.
    // Reasons live in bad/.reasons/, where no mail file can land (names starting with "." are never mail),
    // so a bad file named like another's reason cannot overwrite it.
    await mkdir(reasonsDir(this.layout), { recursive: true, mode: 0o700 }).catch(() => undefined);
    await this.fs.writeFile(path.join(reasonsDir(this.layout), name), `${reason}\n`, { mode: 0o600 }).catch(() => undefined);
    this.handlers.onBad(name, reason);
  }

  private moveFailed(name: string, into: 'cur' | 'bad', error: unknown): void {
    const code = errorCode(error);
    if (this.failing === code) return;
    this.failing = code;
    this.handlers.onError?.(
      `Cannot move mail ${name} into mail/${into} (${(error as Error).message}). It stays in mail/new and is tried again every ${RESCAN_MS / 1000} s.`,
    );
  }

  private moveWorked(): void {
    if (this.failing === null) return;
    this.failing = null;
    this.handlers.onError?.('Moving mail out of mail/new works again; the mail that waited there is handled.');
  }
}

/** Messages a start-up loads when state.json does not say which (one from before it did, or none). */
const RELOAD_WITHOUT_INDEX = 200;

/** Files read in one turn of the event loop when paging through `mail/cur`. */
const PAGE_SLICE = 64;

/** The handled files of `mail/cur` as seq → file name, and the seqs in order; empty when it cannot be listed. */
async function listCur(layout: StateLayout): Promise<{ names: Map<number, string>; seqs: number[] }> {
  const names = new Map<number, string>();
  let entries: string[] = [];
  try {
    entries = await readdir(layout.mail.cur);
  } catch {
    // No cur/ yet.
  }
  for (const name of entries) {
    const match = /^(\d+)_/.exec(name);
    if (match) names.set(Number(match[1]), name);
  }
  return { names, seqs: [...names.keys()].sort((a, b) => a - b) };
}

/** Read and parse handled mail files by seq; unreadable or malformed files are skipped. */
async function readCur(layout: StateLayout, names: Map<number, string>, seqs: number[]): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  for (let i = 0; i < seqs.length; i += PAGE_SLICE) {
    const slice = seqs.slice(i, i + PAGE_SLICE);
    const read = await Promise.all(
      slice.map(async (seq) => {
        try {
          const parsed = parseMail(await readFile(path.join(layout.mail.cur, names.get(seq) as string), 'utf8'));
          return parsed.ok ? { ...parsed.message, seq } : null;
        } catch {
          return null; // A file removed under us.
        }
      }),
    );
    for (const m of read) if (m) out.push(m);
  }
  return out;
}

/**
 * The handled mail a start-up needs, oldest first: the seqs state.json lists
 * in `mailReload` (each sender's newest messages and the open questions),
 * plus everything from `nextSeq` on (handled after the last save, so its
 * effect is not in state.json yet). Without a list, the newest 200. Lists
 * `mail/cur` (names only) and reads only those files, so start-up does not
 * grow with the mail handled over time.
 * @param saved what state.json says; null when there is none
 */
export async function loadMailHistory(
  layout: StateLayout,
  saved: { nextSeq: number; mailReload: number[] | null } | null = null,
): Promise<MailMessage[]> {
  const { names, seqs } = await listCur(layout);
  let wanted: number[];
  if (saved?.mailReload) {
    const listed = new Set(saved.mailReload);
    wanted = seqs.filter((seq) => listed.has(seq) || seq >= saved.nextSeq);
  } else {
    wanted = seqs.slice(-RELOAD_WITHOUT_INDEX);
  }
  return readCur(layout, names, wanted);
}

/**
 * Older mail of one sender, for paging a thread back: up to `limit` of its
 * messages with a seq below `before`, oldest first. Reads `mail/cur` newest
 * first and stops after `maxFiles` files, so one page never blocks long.
 * @returns the messages, and `before` to continue from (null once the start of `mail/cur` is reached)
 */
export async function readOlderMail(
  layout: StateLayout,
  workerId: string,
  before: number,
  limit: number,
  maxFiles = 2000,
): Promise<{ messages: MailMessage[]; before: number | null }> {
  const { names, seqs } = await listCur(layout);
  const candidates = seqs.filter((seq) => seq < before).reverse();
  const found: MailMessage[] = [];
  let scanned = 0;
  while (scanned < candidates.length && scanned < maxFiles && found.length < limit) {
    const slice = candidates.slice(scanned, Math.min(scanned + PAGE_SLICE, maxFiles));
    scanned += slice.length;
    // readCur keeps the order it is given: newest first here.
    for (const m of await readCur(layout, names, slice)) {
      if (m.workerId === workerId && m.type !== 'needs-input' && found.length < limit) found.push(m);
      else if (found.length >= limit) break;
    }
  }
  // Continue below the oldest file looked at, or below the last message taken when the page filled up mid-slice.
  const last = found.length >= limit ? (found.at(-1) as MailMessage).seq : (candidates[scanned - 1] ?? null);
  const more = last !== null && seqs[0] !== undefined && last > seqs[0];
  return { messages: found.reverse(), before: more ? last : null };
}
