// The collection itself is shared with the TUI client (src/client/heap-trim.ts).
export { releaseHeap } from '../gc.js';

/** Output after which a quiet deck returns memory, in bytes (a few screens of typing never trigger it). */
export const RELEASE_AFTER_BYTES = 16 * 1024 * 1024;
/** Quiet time after such output before memory is returned, in ms. */
export const RELEASE_QUIET_MS = 2000;

/**
 * Calls `release` once the deck's PTYs have been quiet for `quietMs` after at
 * least `minBytes` of output, and nothing is held back (`idle()`: no PTY
 * paused by flow control, nothing left to parse): at the end of a flood,
 * not while flow control stalls one, and not for the trickle of an
 * interactive session.
 */
export class ReleaseAfterFlood {
  private bytes = 0;
  private lastOutputAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly release: () => void,
    private readonly idle: () => boolean,
    private readonly now: () => number = Date.now,
    private readonly minBytes = RELEASE_AFTER_BYTES,
    private readonly quietMs = RELEASE_QUIET_MS,
  ) {}

  /** `bytes` of PTY output arrived. */
  output(bytes: number): void {
    this.bytes += bytes;
    this.lastOutputAt = this.now();
    if (this.bytes >= this.minBytes && !this.timer) this.arm(this.quietMs);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const quiet = this.now() - this.lastOutputAt;
      if (quiet < this.quietMs) {
        this.arm(this.quietMs - quiet);
        return;
      }
      // Output held back is output still to come: the flood is not over.
      if (!this.idle()) {
        this.arm(this.quietMs);
        return;
      }
      this.bytes = 0;
      this.release();
    }, ms);
    this.timer.unref();
  }
}
