import { lstat, readdir, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { MAX_MAIL_BYTES, parseMail, type MailMessage } from '../core/mail.js';
import type { StateLayout } from '../registry/state-dir.js';
import { errorCode, nodeWriteFs, type WriteFs } from '../registry/write-fs.js';

export interface MailboxHandlers {
  /** A valid message, already moved to `cur/`, with its sequence number. */
  onMessage(message: MailMessage): void;
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
  private readonly inFlight = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** The error code moves into cur/ or bad/ last failed with, until one works again. */
  private failing: string | null = null;

  constructor(
    private readonly layout: StateLayout,
    private readonly handlers: MailboxHandlers,
    private readonly fs: WriteFs = nodeWriteFs,
  ) {}

  /** Start watching; resolves once the initial scan is done. */
  async start(): Promise<void> {
    const watcher = watch(this.layout.mail.new, {
      depth: 0,
      ignoreInitial: false,
      followSymlinks: false,
      alwaysStat: false,
    });
    this.watcher = watcher;
    watcher.on('add', (file) => this.enqueue(path.basename(file)));
    watcher.on('error', () => this.rescan());
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.rescan();
    this.rescanTimer = setInterval(() => this.rescan(), RESCAN_MS);
    this.rescanTimer.unref();
    await this.idle();
  }

  /** Resolves when every file seen so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    await this.watcher?.close();
    await this.chain;
  }

  private rescan(): void {
    if (this.closed) return;
    readdir(this.layout.mail.new)
      .then((names) => names.sort().forEach((name) => this.enqueue(name)))
      .catch(() => undefined);
  }

  private enqueue(name: string): void {
    if (this.closed || name.startsWith('.') || this.inFlight.has(name)) return;
    this.inFlight.add(name);
    this.chain = this.chain.then(() => this.handle(name).finally(() => this.inFlight.delete(name)));
  }

  private async handle(name: string): Promise<void> {
    const file = path.join(this.layout.mail.new, name);
    let info;
    try {
      info = await lstat(file);
    } catch {
      return; // Already claimed by another watcher.
    }
    if (info.isSymbolicLink()) return this.reject(name, 'symlinks are refused');
    if (!info.isFile()) return this.reject(name, 'not a regular file');
    if (info.size > MAX_MAIL_BYTES) {
      return this.reject(name, `file is ${info.size} bytes; the limit is ${MAX_MAIL_BYTES} bytes`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const parsed = parseMail(text);
    if (!parsed.ok) return this.reject(name, parsed.reason);
    // The seq is taken only now that the message is valid, and given back if the move fails.
    const seq = this.handlers.nextSeq();
    try {
      await this.fs.rename(file, path.join(this.layout.mail.cur, `${String(seq).padStart(SEQ_WIDTH, '0')}_${name}`));
    } catch (error) {
      this.handlers.releaseSeq?.(seq);
      // ENOENT: another watcher claimed it first. Anything else leaves it in new/ for the next rescan.
      if (errorCode(error) !== 'ENOENT') this.moveFailed(name, 'cur', error);
      return;
    }
    this.moveWorked();
    this.handlers.onMessage({ ...parsed.message, seq });
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

/**
 * Read the handled mail in `mail/cur`, oldest first, for the threads after a
 * restart. Keeps the newest `limit` messages; unreadable files are skipped.
 */
export async function loadMailHistory(layout: StateLayout, limit = 5000): Promise<MailMessage[]> {
  let names: string[];
  try {
    names = (await readdir(layout.mail.cur)).filter((n) => /^\d+_/.test(n)).sort();
  } catch {
    return [];
  }
  const out: MailMessage[] = [];
  for (const name of names.slice(-limit)) {
    try {
      const parsed = parseMail(await readFile(path.join(layout.mail.cur, name), 'utf8'));
      if (parsed.ok) out.push({ ...parsed.message, seq: Number(name.slice(0, name.indexOf('_'))) });
    } catch {
      // A file removed under us: skip it.
    }
  }
  return out;
}
