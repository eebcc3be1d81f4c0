/**
 * The PTY seam. The Deck only ever talks to a `PtyHandle`; production passes
 * node-pty (src/pty/node-pty-host.ts), unit tests pass a FakePty.
 */

export interface Disposable {
  dispose(): void;
}

export interface PtyExit {
  /** Exit code, or null when the process was ended by a signal. */
  exitCode: number | null;
  /** Signal number, or null for a normal exit. */
  signal: number | null;
}

export interface PtyHandle {
  /** Pid of the child; it leads its own process group (setsid). */
  readonly pid: number;
  /** Write input to the child (UTF-8 text or raw bytes as a binary string). */
  write(data: string): void;
  /** Resize the PTY, in cells. */
  resize(cols: number, rows: number): void;
  /** Send a signal to the child's whole process group; default SIGTERM. */
  kill(signal?: NodeJS.Signals): void;
  /** Stop reading output (flow control); `resume` starts again. */
  pause(): void;
  resume(): void;
  onData(listener: (data: string) => void): Disposable;
  onExit(listener: (exit: PtyExit) => void): Disposable;
}

export interface PtySpawnOptions {
  /** Absolute path of the program. */
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

/** Starts a process in a new PTY. Throws when the program cannot be started. */
export type PtySpawner = (options: PtySpawnOptions) => PtyHandle;
