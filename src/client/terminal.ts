import { MODE_RESET } from '../core/detach-key.js';
import { writeSomeTo } from '../fd-write.js';

/** Modes the deck itself turns on: bracketed paste, so a pasted newline is text, not Enter. */
export const DECK_MODES = '\u001b[?2004h';
/** Enter the alternate screen, hide the cursor, clear, and turn on the deck's modes. */
export const ENTER_ALT = `\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J${DECK_MODES}`;
/** Leave the alternate screen and show the cursor. */
export const LEAVE_ALT = '\u001b[?1049l\u001b[?25h';

const pause = new Int32Array(new SharedArrayBuffer(4));
const EMPTY = Buffer.alloc(0);

/** Write every byte of `data` to `fd`; see TerminalHost.write. */
function writeAll(fd: number, data: string): void {
  let rest: Buffer = Buffer.from(data, 'utf8');
  // The terminal's buffer is full: the restore at exit must not be lost to it.
  for (let waits = 0; ; waits++) {
    rest = writeSomeTo(fd, rest).rest;
    if (rest.length === 0 || waits >= 500) return;
    Atomics.wait(pause, 0, 0, 2);
  }
}

/**
 * The real terminal, owned by one client process: synchronous writes that
 * never throw (a hung-up terminal is simply gone), raw mode, the alternate
 * screen, and a restore that runs once on every exit path. Not a component.
 */
export class TerminalHost {
  private restored = false;
  private readonly fd: number;

  constructor(
    readonly stdin: NodeJS.ReadStream,
    readonly stdout: NodeJS.WriteStream,
  ) {
    this.fd = (stdout as NodeJS.WriteStream & { fd?: number }).fd ?? 1;
  }

  /** Terminal size in cells (80×24 when unknown). */
  get cols(): number {
    return this.stdout.columns || 80;
  }

  get rows(): number {
    return this.stdout.rows || 24;
  }

  /**
   * Write to the terminal now, all of it: a terminal that is slow to read
   * (its buffer full: EAGAIN, or a partial write) is waited for, up to about
   * 1 s in all; a terminal that hung up (any other error) is given up on.
   */
  write(data: string): void {
    if (this.restored) return;
    writeAll(this.fd, data);
  }

  /**
   * Write what the terminal takes now, without waiting: returns the bytes of `data` not
   * written yet (empty once all are, or when the terminal hung up: nothing to draw on).
   * For a worker's output while attached (`attachOutput`), which waits for a slow
   * terminal without blocking the keys.
   */
  writeSome(data: Buffer): Buffer {
    if (this.restored) return EMPTY;
    return writeSomeTo(this.fd, data).rest;
  }

  /** Enter the alternate screen and raw mode, and start reading keys. */
  open(onInput: (data: string) => void): void {
    this.write(ENTER_ALT);
    if (this.stdin.isTTY) this.stdin.setRawMode(true);
    this.stdin.setEncoding('utf8');
    this.stdin.on('data', onInput);
    this.stdin.resume();
  }

  /**
   * Reset every mode a worker may have set, leave the alternate screen, clear
   * the title, leave raw mode and stop reading. Runs once; later calls do nothing.
   */
  restore(clearTitle: boolean): void {
    if (this.restored) return;
    this.restored = true;
    writeAll(this.fd, MODE_RESET + LEAVE_ALT + (clearTitle ? '\u001b]0;\u0007' : ''));
    try {
      if (this.stdin.isTTY) this.stdin.setRawMode(false);
    } catch {
      // stdin already closed.
    }
    this.stdin.removeAllListeners('data');
    this.stdin.pause();
    // Handles on a hung-up terminal must not keep the process alive.
    this.stdin.unref?.();
  }
}
