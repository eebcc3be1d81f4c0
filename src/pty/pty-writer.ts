import { afterMs, HeldWriter, writeSomeTo, type Schedule } from '../fd-write.js';

/** How long to wait before offering a full PTY the rest of its input again, in ms. */
const RETRY_MS = 1;

/**
 * Input to a worker's PTY, written on the main thread. node-pty's own `write`
 * hands every chunk to libuv's thread pool (`fs.write`), a round trip of two
 * thread wake-ups per keystroke, behind whatever file I/O the pool is doing.
 * Here a write to the nonblocking master fd goes out at once; what the kernel
 * buffer does not take now (a paste larger than it, into a program that is
 * not reading) waits, in order, and is offered again every RETRY_MS until it
 * is taken (HeldWriter). Nothing is dropped while the PTY lives; once it fails
 * (the child is gone) the rest and all later input are dropped, as node-pty
 * drops them.
 */
export class PtyWriter extends HeldWriter {
  /**
   * @param fd the PTY's master fd (O_NONBLOCK, as node-pty opens it)
   * @param schedule runs the retries (a seam for tests)
   */
  constructor(fd: number, schedule: Schedule = afterMs) {
    super((data) => writeSomeTo(fd, data), RETRY_MS, schedule);
  }
}
