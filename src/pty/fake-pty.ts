import type { Disposable, PtyExit, PtyHandle, PtySpawnOptions, PtySpawner } from './types.js';

/**
 * An in-memory PtyHandle for unit tests: records writes, resizes and signals,
 * and lets the test play output and exits. Its session is `session`: the
 * child's own pid until it exits, plus whatever pids a test adds to stand for
 * jobs that outlive it; a test removes them to play their end.
 */
export class FakePty implements PtyHandle {
  static nextPid = 90000;
  readonly pid = FakePty.nextPid++;
  readonly writes: string[] = [];
  /** Signals sent to the session, in order. */
  readonly signals: string[] = [];
  /** Pids of the session's live processes. */
  session: number[] = [this.pid];
  size: { cols: number; rows: number };
  paused = false;
  private dataListeners: ((data: string) => void)[] = [];
  private exitListeners: ((exit: PtyExit) => void)[] = [];

  constructor(readonly options: PtySpawnOptions) {
    this.size = { cols: options.cols, rows: options.rows };
  }

  write(data: string): void {
    this.writes.push(data);
  }
  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
  }
  sessionPids(): number[] {
    return [...this.session];
  }
  killSession(signal: NodeJS.Signals): number {
    this.signals.push(signal);
    return this.session.length;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  onData(listener: (data: string) => void): Disposable {
    this.dataListeners.push(listener);
    return { dispose: () => (this.dataListeners = this.dataListeners.filter((l) => l !== listener)) };
  }
  onExit(listener: (exit: PtyExit) => void): Disposable {
    this.exitListeners.push(listener);
    return { dispose: () => (this.exitListeners = this.exitListeners.filter((l) => l !== listener)) };
  }
  /** Play output as if the child printed it. */
  emitData(data: string): void {
    for (const l of this.dataListeners) l(data);
  }
  /** Play the child's exit; it leaves the session, other processes in it stay. */
  emitExit(exit: PtyExit): void {
    this.session = this.session.filter((pid) => pid !== this.pid);
    for (const l of this.exitListeners) l(exit);
  }
}

/** A PtySpawner that hands out FakePtys and remembers them in `spawned`. */
export function fakeSpawner(): PtySpawner & { spawned: FakePty[] } {
  const spawned: FakePty[] = [];
  const spawner = ((options: PtySpawnOptions) => {
    const pty = new FakePty(options);
    spawned.push(pty);
    return pty;
  }) as unknown as PtySpawner & { spawned: FakePty[] };
  spawner.spawned = spawned;
  return spawner;
}
