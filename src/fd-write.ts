import { writeSync } from 'node:fs';

const EMPTY = Buffer.alloc(0);

/** What `writeSomeTo` did: the bytes not written yet, and whether the fd is gone. */
export interface WriteSome {
  /** The tail of the data the fd did not take (empty once all of it is written). */
  rest: Buffer;
  /** The fd failed with anything but EAGAIN (a hung-up terminal, a closed PTY): nothing more can go to it. */
  gone: boolean;
}

/**
 * Write what a nonblocking `fd` takes now, on the calling thread: the bytes of
 * `data` from the start, stopping at EAGAIN (the reader's buffer is full).
 * Shared by the client's terminal (its stdout) and the server's PTY input.
 * @param fd a file descriptor, O_NONBLOCK for this not to block (a PTY master, a terminal)
 * @returns the bytes not written, and `gone` on any other error (then `rest` is empty: they never will be)
 */
export function writeSomeTo(fd: number, data: Buffer): WriteSome {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      return { rest: EMPTY, gone: true };
    }
  }
  return { rest: offset === 0 ? data : data.subarray(offset), gone: false };
}

/** Runs `fn` after `ms` milliseconds; returns a function that cancels it (a seam for tests). */
export type Schedule = (ms: number, fn: () => void) => () => void;

/** `setTimeout` as a Schedule. */
export const afterMs: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

/**
 * Bytes, in order, to a destination that takes what it can now and never
 * blocks (a nonblocking fd: a PTY master, a terminal). What it does not take
 * is held and offered again every `retryMs` until it is taken; later writes
 * wait behind it. Once the destination is gone, what is held and every later
 * write are dropped. Shared by a worker's PTY input (PtyWriter) and a worker's
 * output to an attached terminal (attachOutput).
 */
export class HeldWriter {
  private held: Buffer[] = [];
  /** Cancels the pending retry; null when none is scheduled. */
  private cancel: (() => void) | null = null;
  private closed = false;

  /**
   * @param writeSome writes what the destination takes now (see `writeSomeTo`)
   * @param retryMs how long to wait before offering held bytes again, in ms
   * @param schedule runs the retries (a seam for tests)
   * @param on `held`: bytes began to wait; `drained`: a retry wrote the last of them
   */
  constructor(
    private readonly writeSome: (data: Buffer) => WriteSome,
    private readonly retryMs: number,
    private readonly schedule: Schedule = afterMs,
    private readonly on: { held?: () => void; drained?: () => void } = {},
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
    if (this.held.length > 0) this.on.held?.();
  }

  /** Bytes written but not yet taken (for tests and diagnostics). */
  get pending(): number {
    return this.held.reduce((n, b) => n + b.length, 0);
  }

  /** Stop: drop what is held and cancel the retry; later writes do nothing. */
  close(): void {
    this.closed = true;
    this.held = [];
    this.cancel?.();
    this.cancel = null;
  }

  private offer(bytes: Buffer): void {
    const { rest, gone } = this.writeSome(bytes);
    if (gone) return this.close();
    if (rest.length === 0) return;
    this.held.unshift(rest);
    this.cancel = this.schedule(this.retryMs, () => this.flush());
  }

  private flush(): void {
    this.cancel = null;
    while (!this.closed && this.held.length > 0 && this.cancel === null) this.offer(this.held.shift()!);
    if (!this.closed && this.held.length === 0) this.on.drained?.();
  }
}
