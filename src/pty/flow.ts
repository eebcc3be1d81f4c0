/**
 * Flow control of PTY output: the deck pauses a worker's PTY instead of
 * buffering its output without bound, and resumes it once the backlog is gone.
 * Nothing is ever dropped: a paused PTY simply is not read, and the kernel
 * stops the program writing to it.
 *
 * Two backlogs count:
 * - bytes posted to the screen mirrors and not parsed yet, per worker and
 *   across all workers (every mirror lives in one thread, so ten flooding
 *   workers would otherwise each keep their own 4 MiB in flight); a worker
 *   with only a little in flight is not held for the total, so a flood
 *   never stalls a keystroke's echo in another worker;
 * - the worker's transcript stream, while it is above its high-water mark
 *   (the disk is slower than the flood).
 */

/** Limits in bytes of UTF-8 output. */
export interface FlowLimits {
  /** One worker's unparsed mirror bytes above which its PTY pauses. */
  workerHigh: number;
  /** ... and below which it may resume. */
  workerLow: number;
  /** Unparsed mirror bytes of all workers together above which a worker that adds to them pauses. */
  totalHigh: number;
  /** ... and below which paused workers may resume. */
  totalLow: number;
  /**
   * A worker with at most this many unparsed bytes is not held for the total: an interactive
   * worker (a keystroke's echo, a prompt's redraw) must not wait for a flood of others to be parsed.
   * Each worker adds at most this much beyond `totalHigh`.
   */
  workerSmall: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = {
  workerHigh: 4 * 1024 * 1024,
  workerLow: 512 * 1024,
  totalHigh: 8 * 1024 * 1024,
  totalLow: 4 * 1024 * 1024,
  workerSmall: 64 * 1024,
};

/** The part of a PtyHandle that flow control uses. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** A snapshot of the backlog, for the bench and for tests. */
export interface FlowStats {
  /** Unparsed mirror bytes of all workers. */
  mirrorBytes: number;
  /** Workers whose PTY is paused now. */
  paused: number;
  /** Times any PTY was paused because of its transcript, since the deck started. */
  transcriptPauses: number;
  /** Times any PTY was paused because of the mirror backlog, since the deck started. */
  mirrorPauses: number;
}

/**
 * The deck's flow control: one `FlowGate` per worker PTY, sharing one budget
 * of bytes in flight to the mirrors.
 */
export class OutputFlow {
  private total = 0;
  private readonly paused = new Set<FlowGate>();
  private transcriptPauses = 0;
  private mirrorPauses = 0;

  constructor(readonly limits: FlowLimits = DEFAULT_FLOW_LIMITS) {}

  /** A gate for a new worker's PTY; `close` it when the PTY has exited. */
  gate(pty: Pausable): FlowGate {
    return new FlowGate(this, pty);
  }

  /** True when no PTY is paused and the mirrors have parsed everything sent to them. */
  idle(): boolean {
    return this.total === 0 && this.paused.size === 0;
  }

  stats(): FlowStats {
    return {
      mirrorBytes: this.total,
      paused: this.paused.size,
      transcriptPauses: this.transcriptPauses,
      mirrorPauses: this.mirrorPauses,
    };
  }

  /** @internal */
  addMirrorBytes(n: number): void {
    this.total += n;
  }

  /** @internal A gate paused or resumed. */
  markPaused(gate: FlowGate, paused: boolean, cause: 'mirror' | 'transcript' | null): void {
    if (paused) {
      this.paused.add(gate);
      if (cause === 'transcript') this.transcriptPauses++;
      else this.mirrorPauses++;
    } else {
      this.paused.delete(gate);
    }
  }

  /** @internal Once the total is low again, every paused gate may resume, not only the one whose bytes were parsed. */
  recheck(): void {
    if (this.total >= this.limits.totalLow) return;
    for (const gate of [...this.paused]) gate.update();
  }

  /** @internal */
  get totalBytes(): number {
    return this.total;
  }
}

/**
 * One worker's flow control. The Deck reports what it sends to the mirror
 * and the transcript; the gate pauses and resumes the PTY.
 */
export class FlowGate {
  private mirror = 0;
  private transcriptFull = false;
  private paused = false;
  private closed = false;

  /** @internal use OutputFlow.gate */
  constructor(
    private readonly flow: OutputFlow,
    private readonly pty: Pausable,
  ) {}

  /** True while the PTY is paused by this gate. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** `bytes` of output were posted to the mirror. */
  mirrorSent(bytes: number): void {
    if (this.closed) return;
    this.mirror += bytes;
    this.flow.addMirrorBytes(bytes);
    this.update();
  }

  /** The mirror parsed `bytes` posted earlier. */
  mirrorParsed(bytes: number): void {
    if (this.closed) return;
    this.mirror -= bytes;
    this.flow.addMirrorBytes(-bytes);
    this.update();
    this.flow.recheck();
  }

  /** The transcript stream went over its high-water mark (its `write` returned false). */
  transcriptBlocked(): void {
    if (this.closed) return;
    this.transcriptFull = true;
    this.update();
  }

  /** The transcript stream drained (or stopped writing for good). */
  transcriptDrained(): void {
    if (this.closed) return;
    this.transcriptFull = false;
    this.update();
  }

  /** The PTY is gone: its bytes leave the shared budget and it is never touched again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flow.addMirrorBytes(-this.mirror);
    this.mirror = 0;
    this.flow.markPaused(this, false, null);
    this.flow.recheck();
  }

  /** @internal Pause or resume the PTY as the backlogs say, with hysteresis. */
  update(): void {
    if (this.closed) return;
    const { workerHigh, workerLow, totalHigh, totalLow, workerSmall } = this.flow.limits;
    const total = this.flow.totalBytes;
    // A worker with little in flight is not held for the others' backlog (FlowLimits.workerSmall).
    const small = this.mirror <= workerSmall;
    if (!this.paused) {
      const mirrorFull = this.mirror > workerHigh || (total > totalHigh && !small);
      if (!this.transcriptFull && !mirrorFull) return;
      this.paused = true;
      this.flow.markPaused(this, true, this.transcriptFull ? 'transcript' : 'mirror');
      this.pty.pause();
      return;
    }
    if (this.transcriptFull || this.mirror >= workerLow || (total >= totalLow && !small)) return;
    this.paused = false;
    this.flow.markPaused(this, false, null);
    this.pty.resume();
  }
}
