import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gcFunction: GcFunction | null | undefined;

/**
 * V8's `gc` for the calling thread. Node offers it only under --expose-gc,
 * which the deck is not started with; the flag can be turned on at run time,
 * and then every context made afterwards (here: one throw-away context) has
 * `gc`. The flag stays on: turning it off again could race with the other
 * thread fetching its own `gc`. Null when this V8 refuses.
 */
function obtainGc(): GcFunction | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as GcFunction;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    return null;
  }
}

/**
 * Collect all garbage of the calling thread's V8 heap and give its free pages
 * back to the system (V8's "last resort" full GC, which also shrinks the young
 * generation). V8 itself runs no GC while a thread allocates nothing, so after
 * a flood of output an idle deck would keep hundreds of MB of parsed, dead
 * output. Synchronous: V8 marks with helper threads, and the calling thread
 * waits; measured on this project's 2-core bench machine, ~40 ms of the
 * thread's CPU (150 ms of the process's) for 38 MB of live objects; the
 * deck's main thread holds ~13 MB after a flood.
 * @returns false when no GC could be run (the heap is left as it is)
 */
export function releaseHeap(): boolean {
  if (gcFunction === undefined) gcFunction = obtainGc();
  if (!gcFunction) return false;
  try {
    gcFunction({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return true;
  } catch {
    return false;
  }
}

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
