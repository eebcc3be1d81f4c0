import { writeSomeTo } from '../fd-write.js';

/** How long to wait before offering a full PTY the rest of its input again, in ms. */
const RETRY_MS = 1;

/**
 * Input to a worker's PTY, written on the main thread. node-pty's own `write`
 * hands every chunk to libuv's thread pool (`fs.write`), a round trip of two
 * thread wake-ups per keystroke, behind whatever file I/O the pool is doing.
 * Here a write to the nonblocking master fd goes out at once; what the kernel
 * buffer does not take now (a paste larger than it, into a program that is
 * not reading) waits, in order, and is offered again every RETRY_MS until it
 * is taken. Nothing is dropped while the PTY lives; once it fails (the child
 * is gone) the rest and all later input are dropped, as node-pty drops them.
 */
export class PtyWriter {
  private held: Buffer[] = [];
  /** Cancels the pending retry; null when none is scheduled. */
  private cancel: (() => void) | null = null;
  private closed = false;

  /**
   * @param fd the PTY's master fd (O_NONBLOCK, as node-pty opens it)
   * @param schedule runs `fn` after `ms` (a seam for tests); returns a cancel function
   */
  constructor(
    private readonly fd: number,
    private readonly schedule: (ms: number, fn: () => void) => () => void = (ms, fn) => {
      const timer = setTimeout(fn, ms);
      return () => clearTimeout(timer);
    },
  ) {}

  /** Write `data` (UTF-8) after everything written before it. */
  write(data: string | Buffer): void {
    if (this.closed) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    if (this.held.length > 0) {
      this.held.push(bytes);
      return;
    }
    this.offer(bytes);
  }

  /** Bytes written but not yet taken by the PTY (for tests and diagnostics). */
  get pending(): number {
    return this.held.reduce((n, b) => n + b.length, 0);
  }

  /** Stop: drop what is held; later writes do nothing. */
  close(): void {
    this.closed = true;
    this.held = [];
    this.cancel?.();
    this.cancel = null;
  }

  private offer(bytes: Buffer): void {
    const { rest, gone } = writeSomeTo(this.fd, bytes);
    if (gone) return this.close();
    if (rest.length === 0) return;
    this.held.unshift(rest);
    this.cancel = this.schedule(RETRY_MS, () => this.flush());
  }

  private flush(): void {
    this.cancel = null;
    while (!this.closed && this.held.length > 0 && this.cancel === null) this.offer(this.held.shift()!);
  }
}
