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
