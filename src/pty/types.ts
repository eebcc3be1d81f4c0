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

/**
 * A worker's screen mirror as the Deck and the UI use it. Output is parsed
 * asynchronously (in a worker thread in production); reads return promises,
 * and a few values are cached as parsing goes.
 */
export interface MirrorHandle {
  readonly cols: number;
  readonly rows: number;
  /** True when the program turned bracketed paste on; as of the last parsed output. */
  readonly bracketedPaste: boolean;
  /** Lines of scrollback above the screen; as of the last parsed output. */
  readonly scrollbackLength: number;
  /**
   * Parse output, a string or its UTF-8 bytes (which the mirror may copy but
   * never changes); `onParsed` runs once it is parsed (flow control).
   */
  write(data: string | Uint8Array, onParsed?: () => void): void;
  /** Resolves once everything written so far is parsed. */
  flush(): Promise<void>;
  /** Resize in cells. */
  resize(cols: number, rows: number): void;
  /** The rows last read with `readRows(scrollBack)`, or null when none were read yet. */
  cachedRows(scrollBack: number): string[] | null;
  /** The visible rows with SGR colours, each `cols` wide, `scrollBack` lines up from the bottom. */
  readRows(scrollBack: number): Promise<string[]>;
  /** The visible rows as plain text, right-trimmed. */
  textRows(): Promise<string[]>;
  /** The screen and its modes as escape sequences that redraw it (after a flush). */
  serialize(): Promise<string>;
  dispose(): void;
}

/** Makes a mirror of `cols`×`rows` cells. */
export type MirrorFactory = (cols: number, rows: number) => MirrorHandle;
