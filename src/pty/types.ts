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
  /** Pid of the child; it leads its own session (setsid), so this is also the session id. */
  readonly pid: number;
  /** Write input to the child (UTF-8 text or raw bytes as a binary string). */
  write(data: string): void;
  /** Resize the PTY, in cells. */
  resize(cols: number, rows: number): void;
  /**
   * Live processes of the PTY's session (session id `pid`), zombies left
   * out: the child, its jobs in any process group, and whatever outlived the
   * child. Empty once nothing of the session runs.
   * @param maxAgeMs reuse a scan of all processes up to this old (ms); default 0, a fresh scan
   */
  sessionPids(maxAgeMs?: number): number[];
  /**
   * Send `signal` to every live process of the PTY's session (see
   * src/pty/session.ts). Never throws.
   * @param maxAgeMs as for `sessionPids`
   * @returns how many processes were signalled; 0 when nothing is left
   */
  killSession(signal: NodeJS.Signals, maxAgeMs?: number): number;
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

/** An alternate-screen switch in a worker's output, as its mirror saw it (see `MirrorHandle.watchSwitches`). */
export interface ScreenSwitch {
  /** True when the worker entered its alternate screen, false when it left it. */
  alt: boolean;
  /** The now-active screen, right after the switch, as `serializeActive` paints it. */
  screen: string;
}

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
  /**
   * The active screen only (the alternate one when the program is on it),
   * visible rows with colours, cursor and modes, as escape sequences that
   * repaint a terminal of the same size without switching its screen and
   * without scrollback (after a flush). '' when the mirror is gone.
   */
  serializeActive(): Promise<string>;
  /**
   * Report each alternate-screen switch in output written from now on, with
   * the screen right after it, in stream order (see ScreenMirror.watchSwitches).
   * `null` is reported once when no more reports can come (the mirror thread
   * failed). One watcher per mirror; passing null stops watching.
   */
  watchSwitches(listener: ((change: ScreenSwitch | null) => void) | null): void;
  dispose(): void;
}

/** Makes a mirror of `cols`×`rows` cells. */
export type MirrorFactory = (cols: number, rows: number) => MirrorHandle;
