import { writeSync } from 'node:fs';
import { MODE_RESET } from '../core/detach-key.js';

/** Modes the deck itself turns on: bracketed paste, so a pasted newline is text, not Enter. */
export const DECK_MODES = '\u001b[?2004h';
/** Enter the alternate screen, hide the cursor, clear, and turn on the deck's modes. */
export const ENTER_ALT = `\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J${DECK_MODES}`;
/** Leave the alternate screen and show the cursor. */
export const LEAVE_ALT = '\u001b[?1049l\u001b[?25h';

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

  /** Write to the terminal now; a write error (the terminal is gone) is ignored. */
  write(data: string): void {
    if (this.restored) return;
    try {
      writeSync(this.fd, data);
    } catch {
      // The terminal hung up: nothing to draw on.
    }
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
    this.write(MODE_RESET + LEAVE_ALT + (clearTitle ? '\u001b]0;\u0007' : ''));
    this.restored = true;
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
