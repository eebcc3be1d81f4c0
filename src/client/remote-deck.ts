import { emptyDeckState, reduce, type DeckEvent, type DeckState } from '../core/deck-state.js';
import type { DeckCommand, PresetInfo, ResultOf, ScreenSnapshot } from '../core/protocol.js';
import { Connection, ServerError } from './connection.js';

/** A raw byte channel to one worker's PTY (attach). */
export interface AttachChannel {
  /** Type into the worker. */
  write(data: string): void;
  /** The worker's output; the first bytes repaint its screen. */
  onData(listener: (data: string) => void): void;
  /** The channel ended: the worker exited, the server went away, or `close` was called. */
  onEnd(listener: () => void): void;
  /** Stop reading output (the terminal is behind; the server repaints once reading resumes), and resume. */
  pause(): void;
  resume(): void;
  close(): void;
}

/**
 * What the UI and the CLI know of the deck: a client of `workerdeck serve`.
 * It keeps a replica of the DeckState, fed only by the server's events and
 * reduced with the same pure reducer, and changes the deck only through
 * commands.
 */
export interface DeckClient {
  readonly presets: PresetInfo[];
  /** The repo (and branch) or dir the server runs on, for the header. */
  readonly label: string;
  /** The server's pid and version. */
  readonly server: { pid: number; version: string };
  /** The replica's current state. */
  getState(): DeckState;
  /** Run a command; rejects with the deck's sentence. */
  execute<C extends DeckCommand>(cmd: C): Promise<ResultOf<C>>;
  /** Every state change of the replica, with the event that caused it (null for a whole snapshot). */
  subscribe(listener: (state: DeckState, event: DeckEvent | null) => void): () => void;
  /** Show one worker's screen (null: none): snapshots come at a bounded rate to `onScreen` listeners. */
  watch(id: string | null, scroll: number): void;
  onScreen(listener: (snapshot: ScreenSnapshot) => void): () => void;
  /** The last snapshot received for this worker and scroll, or null. */
  lastScreen(id: string, scroll: number): ScreenSnapshot | null;
  /** Open a raw channel to a worker at the given terminal size. */
  attach(id: string, cols: number, rows: number): Promise<AttachChannel>;
  /** The server connection ended, with the reason in words. */
  onClose(listener: (reason: string) => void): () => void;
  close(): void;
}

/**
 * The DeckClient over a socket connection. `connect()` subscribes and
 * resolves once the first state snapshot is in.
 */
export class RemoteDeck implements DeckClient {
  private state: DeckState = emptyDeckState();
  private readonly listeners = new Set<(state: DeckState, event: DeckEvent | null) => void>();
  private readonly screenListeners = new Set<(s: ScreenSnapshot) => void>();
  private readonly screens = new Map<string, ScreenSnapshot>();
  private watching: { id: string | null; scroll: number } = { id: null, scroll: 0 };

  private constructor(
    private readonly connection: Connection,
    private readonly socketPath: string,
    private readonly version: string,
  ) {
    connection.onFrame((f) => {
      switch (f.t) {
        case 'state':
          this.state = f.state;
          for (const l of this.listeners) l(this.state, null);
          return;
        case 'event':
          if (f.event.type === 'restored') {
            void this.connection.request({ type: 'state' }).then((state) => {
              this.state = state;
              for (const l of this.listeners) l(this.state, null);
            });
            return;
          }
          this.state = { ...reduce(this.state, f.event), nextSeq: f.nextSeq };
          for (const l of this.listeners) l(this.state, f.event);
          return;
        case 'screen': {
          const snapshot: ScreenSnapshot = { id: f.id, scroll: f.scroll, rows: f.rows, scrollback: f.scrollback };
          this.screens.set(f.id, snapshot);
          for (const l of this.screenListeners) l(snapshot);
          return;
        }
        default:
          return;
      }
    });
  }

  /**
   * Wrap an open control connection: subscribe to events and wait for the first snapshot.
   * @throws ServerError when the connection closes first
   */
  static async connect(connection: Connection, socketPath: string, version: string): Promise<RemoteDeck> {
    const deck = new RemoteDeck(connection, socketPath, version);
    await new Promise<void>((resolve, reject) => {
      const off = deck.subscribe(() => {
        off();
        offClose();
        resolve();
      });
      const offClose = connection.onClose((reason) => reject(new ServerError(reason)));
      connection.send({ t: 'subscribe' });
    });
    return deck;
  }

  get presets(): PresetInfo[] {
    return this.connection.welcome.presets;
  }

  get label(): string {
    return this.connection.welcome.label;
  }

  get server(): { pid: number; version: string } {
    return { pid: this.connection.welcome.pid, version: this.connection.welcome.version };
  }

  getState(): DeckState {
    return this.state;
  }

  execute<C extends DeckCommand>(cmd: C): Promise<ResultOf<C>> {
    return this.connection.request(cmd);
  }

  subscribe(listener: (state: DeckState, event: DeckEvent | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watch(id: string | null, scroll: number): void {
    if (this.watching.id === id && this.watching.scroll === scroll) return;
    this.watching = { id, scroll };
    this.connection.send({ t: 'watch', id, scroll });
  }

  onScreen(listener: (snapshot: ScreenSnapshot) => void): () => void {
    this.screenListeners.add(listener);
    return () => this.screenListeners.delete(listener);
  }

  lastScreen(id: string, scroll: number): ScreenSnapshot | null {
    const s = this.screens.get(id);
    return s && s.scroll === scroll ? s : null;
  }

  async attach(id: string, cols: number, rows: number): Promise<AttachChannel> {
    return openAttach(this.socketPath, this.version, id, cols, rows);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.connection.onClose(listener);
  }

  close(): void {
    this.connection.close();
  }
}

/**
 * Open a raw attach channel: hello as `attach`, the `attach` frame, then raw
 * bytes both ways once the server says `attached`.
 * @throws ServerError with the server's sentence (no such worker, not running)
 */
export async function openAttach(
  socketPath: string,
  version: string,
  id: string,
  cols: number,
  rows: number,
  readonly = false,
): Promise<AttachChannel> {
  const connection = await Connection.open(socketPath, version, 'attach');
  const socket = connection.socket;
  const dataListeners: ((d: string) => void)[] = [];
  const endListeners: (() => void)[] = [];
  let early = '';
  await new Promise<void>((resolve, reject) => {
    const offFrame = connection.onFrame((f) => {
      if (f.t !== 'attached') return;
      offFrame();
      offClose();
      // Raw bytes (the first paint) may follow in the same read: no frame is parsed after this one.
      connection.stopFrames();
      resolve();
    });
    const offClose = connection.onClose((reason) => reject(new ServerError(reason)));
    connection.send({ t: 'attach', id, cols, rows, readonly });
  });
  // No read happens between the resolve and here, so nothing arrives unseen.
  early = connection.takeRaw();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const l of endListeners) l();
  };
  socket.on('data', (chunk: string) => {
    // Bytes before the caller listens wait for it, so the first paint is never lost.
    if (dataListeners.length === 0) early += chunk;
    for (const l of dataListeners) l(chunk);
  });
  socket.on('close', end);
  return {
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    onData: (listener) => {
      dataListeners.push(listener);
      if (early) {
        const first = early;
        early = '';
        listener(first);
      }
    },
    onEnd: (listener) => {
      endListeners.push(listener);
      if (ended) listener();
    },
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
    close: () => {
      socket.destroy();
    },
  };
}
