import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import type { DeckCommand, PresetInfo, ResultOf, ServerFrame } from '../core/protocol.js';
import { frame, LineSplitter, PROTOCOL_VERSION } from '../core/wire.js';
import type { StateLayout } from '../registry/state-dir.js';

/** What the server said in its welcome. */
export interface Welcome {
  version: string;
  pid: number;
  presets: PresetInfo[];
  label: string;
}

/** No server answers on the socket (none runs, or a stale socket file). */
export class NoServerError extends Error {}

/** The server refused the client (protocol mismatch, malformed frame) or went away. */
export class ServerError extends Error {}

/**
 * One connection to `workerdeck serve` (see src/core/protocol.ts). Frames
 * are newline-delimited JSON; `request` matches each `cmd` with its `result`.
 * Other frames (state, event, screen) go to `onFrame` listeners.
 */
export class Connection {
  readonly welcome: Welcome;
  private nextN = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(f: ServerFrame) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private closedReason: string | null = null;
  /** Set by stopFrames: the rest of the stream is raw bytes. */
  private framesStopped = false;

  private constructor(
    readonly socket: net.Socket,
    welcome: Welcome,
    private readonly splitter: LineSplitter,
  ) {
    this.welcome = welcome;
  }

  /**
   * Connect and say hello.
   * @param role `control` for commands and events, `attach` for a raw channel
   * @throws NoServerError when nothing listens on the socket; ServerError when the server refuses
   */
  static async open(socketPath: string, version: string, role: 'control' | 'attach' = 'control'): Promise<Connection> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(socketPath);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? new NoServerError(`No workerdeck server runs on ${socketPath}.`)
            : error,
        );
      });
    });
    socket.setEncoding('utf8');
    const splitter = new LineSplitter();
    const welcome = await new Promise<Welcome>((resolve, reject) => {
      const onData = (chunk: string) => {
        let lines: string[];
        try {
          lines = splitter.push(chunk);
        } catch (error) {
          return fail(new ServerError(`The server sent a malformed frame: ${(error as Error).message}.`));
        }
        const first = lines[0];
        if (first === undefined) return;
        const f = JSON.parse(first) as ServerFrame;
        socket.off('data', onData);
        socket.off('close', onClose);
        if (f.t === 'error') return fail(new ServerError(f.message));
        if (f.t !== 'welcome') return fail(new ServerError(`The server answered hello with "${f.t}".`));
        if (f.protocol !== PROTOCOL_VERSION) {
          return fail(new ServerError(`The server speaks protocol ${f.protocol}, this client ${PROTOCOL_VERSION}. Run "workerdeck kill-server", then start workerdeck again.`));
        }
        // Frames that came in the same read as the welcome.
        const rest = lines.slice(1).join('\n');
        if (rest) splitter.push(`${rest}\n`);
        resolve({ version: f.version, pid: f.pid, presets: f.presets, label: f.label });
      };
      const onClose = () => fail(new ServerError('The server closed the connection during hello.'));
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(frame({ t: 'hello', protocol: PROTOCOL_VERSION, version, role }));
    });
    const connection = new Connection(socket, welcome, splitter);
    connection.start();
    return connection;
  }

  private start(): void {
    // Lines already split off during hello.
    for (const line of this.splitter.push('')) this.onLine(line);
    this.socket.on('data', this.onData);
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.finish('The connection to the workerdeck server was closed.'));
  }

  private readonly onData = (chunk: string): void => {
    try {
      this.splitter.each(chunk, (line) => {
        this.onLine(line);
        return !this.framesStopped;
      });
    } catch (error) {
      this.finish(`The server sent a malformed frame: ${(error as Error).message}.`);
      this.socket.destroy();
    }
  };

  private onLine(line: string): void {
    let f: ServerFrame;
    try {
      f = JSON.parse(line) as ServerFrame;
    } catch {
      this.finish('The server sent a frame that is not JSON.');
      this.socket.destroy();
      return;
    }
    if (f.t === 'result') {
      const w = this.waiting.get(f.n);
      if (!w) return;
      this.waiting.delete(f.n);
      if (f.ok) w.resolve(f.value);
      else w.reject(new ServerError(f.error));
      return;
    }
    if (f.t === 'error') {
      this.finish(f.message);
      return;
    }
    for (const l of this.listeners) l(f);
  }

  private finish(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const w of this.waiting.values()) w.reject(new ServerError(reason));
    this.waiting.clear();
    for (const l of this.closeListeners) l(reason);
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.closedReason !== null;
  }

  /**
   * Run a command on the deck.
   * @returns its result (see CommandResults in src/core/protocol.ts)
   * @throws ServerError with the deck's sentence when it is refused or fails
   */
  request<C extends DeckCommand>(cmd: C): Promise<ResultOf<C>> {
    if (this.closedReason !== null) return Promise.reject(new ServerError(this.closedReason));
    const n = this.nextN++;
    return new Promise<ResultOf<C>>((resolve, reject) => {
      this.waiting.set(n, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ t: 'cmd', n, cmd });
    });
  }

  /** Send a frame (subscribe, watch, attach). */
  send(value: unknown): void {
    if (!this.socket.destroyed) this.socket.write(frame(value));
  }

  /** Listen to pushed frames (state, event, screen, attached). */
  onFrame(listener: (f: ServerFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listen for the end of the connection, with the reason in words. */
  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Stop reading frames after the current one (called from a frame listener,
   * e.g. on `attached`): what follows it is raw bytes, kept for `takeRaw`.
   */
  stopFrames(): void {
    this.framesStopped = true;
    this.socket.off('data', this.onData);
    // A socket in flowing mode may emit more chunks in this same tick: keep them.
    this.socket.on('data', this.collectRaw);
  }

  /** The exact bytes that came after the frame that stopped frames; the caller reads the socket from here on. */
  takeRaw(): string {
    this.socket.off('data', this.collectRaw);
    const raw = this.splitter.take() + this.raw;
    this.raw = '';
    return raw;
  }

  private raw = '';
  private readonly collectRaw = (chunk: string): void => {
    this.raw += chunk;
  };

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

/**
 * Connect to the state dir's server, starting it first when none answers
 * (like tmux): `workerdeck serve --state-dir <dir>` in its own session,
 * its output appended to `<state>/server.log`.
 * @param start how to start it: the program and arguments (node and bin/workerdeck.js)
 * @throws ServerError when it does not answer within `timeoutMs` (the log is named)
 */
export async function connectOrStart(
  layout: StateLayout,
  version: string,
  start: { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv },
  timeoutMs = 10_000,
): Promise<{ connection: Connection; started: boolean }> {
  try {
    return { connection: await Connection.open(layout.socket, version), started: false };
  } catch (error) {
    if (!(error instanceof NoServerError)) throw error;
  }
  const logFd = openSync(layout.serverLog, 'a', 0o600);
  let exited: number | null = null;
  try {
    const child = spawn(start.command, [...start.args, 'serve', '--state-dir', layout.dir], {
      cwd: start.cwd,
      env: start.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    child.on('exit', (code) => {
      exited = code ?? 1;
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return { connection: await Connection.open(layout.socket, version), started: true };
    } catch (error) {
      if (!(error instanceof NoServerError)) throw error;
    }
    // A server that lost the race for the lock exits; the winner answers soon.
    if (Date.now() > deadline) {
      throw new ServerError(
        `The workerdeck server did not start within ${timeoutMs / 1000} s${exited !== null ? ` (it exited with code ${exited})` : ''}. See ${layout.serverLog}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
