/** The client's side of the socket, as far as catching up needs it. */
export interface CatchUpSocket {
  readonly writableLength: number;
  readonly destroyed: boolean;
  write(data: string): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * An attached client that fell behind a worker's output, painted from the worker's
 * mirror at the screen's pace until it catches up, the way tmux serves a slow
 * client: while the worker keeps printing, the client gets a fresh paint of the
 * screen at most every `frameMs` ms and only once the socket has drained, never the
 * raw backlog; after a frame interval with no output, `resume` hands the client
 * back to raw passthrough (which repaints once more, in step with the raw bytes).
 * Units: ms. No I/O of its own but through the socket and the seams.
 */
export class CatchUp {
  private dirty = true;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param paint the worker's active screen from its mirror, as bytes that repaint a terminal from any state
   * @param resume called once, when the client has caught up (not after `stop`)
   */
  constructor(
    private readonly o: {
      socket: CatchUpSocket;
      paint: () => Promise<string>;
      resume: () => void;
      frameMs: number;
      schedule?: (ms: number, fn: () => void) => NodeJS.Timeout;
    },
  ) {}

  /** Begin: the first paint goes out once the socket has drained. */
  start(): void {
    this.whenDrained(() => void this.frame());
  }

  /** The worker printed (its bytes are not forwarded): another paint is due. */
  output(): void {
    this.dirty = true;
  }

  /** Detached or replaced: paint nothing more, resume nothing. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async frame(): Promise<void> {
    if (this.stopped) return;
    if (!this.dirty) {
      this.stopped = true;
      this.o.resume();
      return;
    }
    this.dirty = false;
    const screen = await this.o.paint().catch(() => null);
    if (this.stopped || this.o.socket.destroyed) return;
    if (screen !== null) this.o.socket.write(screen);
    const schedule = this.o.schedule ?? ((ms, fn) => setTimeout(fn, ms));
    this.timer = schedule(this.o.frameMs, () => {
      this.timer = null;
      this.whenDrained(() => void this.frame());
    });
  }

  private whenDrained(fn: () => void): void {
    if (this.stopped) return;
    if (this.o.socket.writableLength === 0) fn();
    else this.o.socket.once('drain', fn);
  }
}
