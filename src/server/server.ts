import { chmodSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import {
  frame,
  LineSplitter,
  parseClientFrame,
  parseCommand,
  PROTOCOL_VERSION,
  SCREEN_PUSH_MS,
  type PresetInfo,
  type ServerFrame,
} from '../core/protocol.js';
import type { Deck } from '../deck.js';
import { execute } from './execute.js';
import { AttachStream } from './attach-stream.js';
import { CatchUp } from './catch-up.js';
import { MODE_RESET } from '../core/detach-key.js';

/** A client whose unsent frames pass this many bytes is too slow to keep; it is dropped. */
const MAX_CONTROL_BACKLOG = 64 * 1024 * 1024;
/**
 * An attached client this far behind (bytes) stops getting raw bytes and is painted from the
 * mirror (CatchUp): small, so a slow terminal parses screens rather than a backlog.
 */
const ATTACH_BACKLOG = 256 * 1024;
/** While an attached client catches up, at most one paint per this many ms. */
const CATCH_UP_FRAME_MS = 40;

export interface DeckServerOptions {
  deck: Deck;
  socketPath: string;
  version: string;
  label: string;
  presets: PresetInfo[];
  /** Called once when a client asks to stop every worker and the server. */
  onKillServer: () => void;
  /** Called whenever the number of clients changes (idle exit). */
  onClients?: (count: number) => void;
  log: (line: string) => void;
}

interface Client {
  socket: net.Socket;
  splitter: LineSplitter;
  role: 'control' | 'attach' | null;
  subscribed: boolean;
  watch: { id: string; scroll: number } | null;
  screenTimer: NodeJS.Timeout | null;
  lastPush: number;
  /** Set while this connection is attached to a worker (raw mode). */
  attached: { id: string; untap: () => void; readonly: boolean } | null;
  /** Aborted when the connection ends: commands that wait on it (permission-ask) give up. */
  closed: AbortController;
}

/**
 * The socket side of `workerdeck serve`: accepts clients on a Unix socket,
 * speaks the protocol of src/core/protocol.ts, runs their commands on the
 * Deck, pushes every DeckEvent to subscribers and the watched worker's screen
 * at most every SCREEN_PUSH_MS, and carries attach connections as raw bytes.
 * A malformed frame closes that connection only.
 */
/** A whole attached screen from its mirror: every mode the terminal had reset, cleared, then `screen` (which turns on the worker's). */
function repaint(screen: string): string {
  return `${MODE_RESET}\u001b[H\u001b[2J${screen}`;
}

export class DeckServer {
  private readonly server: net.Server;
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: (() => void)[] = [];
  private preview = { cols: 80, rows: 24 };
  /** Clients attached to each worker (not readonly), for their streams' switch reports. */
  private readonly attachments = new Map<string, Set<AttachEntry>>();

  constructor(private readonly o: DeckServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.unsubscribe.push(
      o.deck.subscribe((_state, event) => {
        const line = frame({ t: 'event', event, nextSeq: o.deck.getState().nextSeq } satisfies ServerFrame);
        for (const c of this.clients) if (c.subscribed) this.send(c, line);
      }),
      o.deck.onScreen((id) => {
        for (const c of this.clients) if (c.watch?.id === id) this.schedulePush(c);
      }),
    );
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Listen on the socket path (a stale socket file is replaced; the caller
   * holds the state dir's lock). The socket is made 0600.
   * @throws Error when the socket cannot be bound
   */
  async listen(): Promise<void> {
    try {
      unlinkSync(this.o.socketPath);
    } catch {
      // No stale socket.
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Owner only: the socket is created under a 0077 umask, then chmod'ed for good measure.
      const umask = process.umask(0o077);
      this.server.listen(this.o.socketPath, () => {
        process.umask(umask);
        this.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.o.socketPath, 0o600);
  }

  /** Close every connection and the socket, and remove the socket file. */
  close(): void {
    for (const off of this.unsubscribe) off();
    for (const c of this.clients) this.drop(c);
    this.server.close();
    try {
      unlinkSync(this.o.socketPath);
    } catch {
      // Already gone.
    }
  }

  /** The preview size the latest client asked for. */
  get previewSize(): { cols: number; rows: number } {
    return this.preview;
  }

  private accept(socket: net.Socket): void {
    const client: Client = {
      socket,
      splitter: new LineSplitter(),
      role: null,
      subscribed: false,
      watch: null,
      screenTimer: null,
      lastPush: 0,
      attached: null,
      closed: new AbortController(),
    };
    this.clients.add(client);
    this.o.onClients?.(this.clients.size);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(client, chunk));
    socket.on('error', () => this.drop(client));
    socket.on('close', () => this.drop(client));
  }

  private drop(client: Client): void {
    client.closed.abort();
    if (!this.clients.delete(client)) return;
    if (client.screenTimer) clearTimeout(client.screenTimer);
    if (client.attached) {
      client.attached.untap();
      const id = client.attached.id;
      // Back to the preview size unless another client is still attached to it.
      const still = [...this.clients].some((c) => c.attached?.id === id && !c.attached.readonly);
      if (!client.attached.readonly && !still) this.o.deck.resizeWorker(id, this.preview.cols, this.preview.rows);
      client.attached = null;
    }
    client.socket.destroy();
    this.o.onClients?.(this.clients.size);
  }

  private send(client: Client, line: string): void {
    if (client.socket.destroyed) return;
    if (client.socket.writableLength > MAX_CONTROL_BACKLOG) {
      this.o.log(`dropping a client that fell ${client.socket.writableLength} bytes behind`);
      this.drop(client);
      return;
    }
    client.socket.write(line);
  }

  private refuse(client: Client, message: string): void {
    if (!client.socket.destroyed) client.socket.end(frame({ t: 'error', message } satisfies ServerFrame));
    this.clients.delete(client);
    this.o.onClients?.(this.clients.size);
  }

  private onData(client: Client, chunk: string): void {
    if (client.attached) {
      if (!client.attached.readonly) this.o.deck.writeRaw(client.attached.id, chunk);
      return;
    }
    try {
      // One frame at a time: after the attach frame, the rest of the read is raw input.
      client.splitter.each(chunk, (line) => {
        this.onFrame(client, line);
        return !client.attached && this.clients.has(client);
      });
    } catch (error) {
      return this.refuse(client, `Malformed frame: ${(error as Error).message}.`);
    }
    if (!this.clients.has(client)) return;
    // Raw input that came in the same read as the attach frame.
    const attached = client.attached as Client['attached'];
    if (attached && !attached.readonly) {
      const rest = client.splitter.take();
      if (rest) this.o.deck.writeRaw(attached.id, rest);
    }
  }

  private onFrame(client: Client, line: string): void {
    const parsed = parseClientFrame(line);
    if (!parsed.ok) return this.refuse(client, `Malformed frame: ${parsed.reason}.`);
    const f = parsed.frame;
    if (client.role === null) {
      if (f.t !== 'hello') return this.refuse(client, 'The first frame must be hello.');
      if (f.protocol !== PROTOCOL_VERSION) {
        return this.refuse(
          client,
          `This workerdeck server (${this.o.version}) speaks protocol ${PROTOCOL_VERSION}; the client (${f.version}) speaks ${f.protocol}. Run "workerdeck kill-server" and start workerdeck again, or use the same version.`,
        );
      }
      client.role = f.role;
      this.send(
        client,
        frame({
          t: 'welcome',
          protocol: PROTOCOL_VERSION,
          version: this.o.version,
          pid: process.pid,
          presets: this.o.presets,
          label: this.o.label,
        } satisfies ServerFrame),
      );
      return;
    }
    switch (f.t) {
      case 'hello':
        return this.refuse(client, 'hello was already sent.');
      case 'subscribe':
        client.subscribed = true;
        this.send(client, frame({ t: 'state', state: this.o.deck.getState() } satisfies ServerFrame));
        return;
      case 'watch':
        client.watch = f.id === null ? null : { id: f.id, scroll: f.scroll };
        if (client.screenTimer) clearTimeout(client.screenTimer);
        client.screenTimer = null;
        client.lastPush = 0;
        if (client.watch) this.schedulePush(client);
        return;
      case 'cmd':
        return void this.runCommand(client, f.n, f.cmd);
      case 'attach':
        if (client.role !== 'attach') return this.refuse(client, 'attach needs a connection that said hello as attach.');
        return this.attach(client, f.id, f.cols, f.rows, f.readonly ?? false);
    }
  }

  private async runCommand(client: Client, n: number, raw: unknown): Promise<void> {
    const parsed = parseCommand(raw);
    if (!parsed.ok) {
      this.send(client, frame({ t: 'result', n, ok: false, error: `Refused command: ${parsed.reason}.` } satisfies ServerFrame));
      return;
    }
    let killing = false;
    try {
      const value = await execute(this.o.deck, parsed.command, {
        killServer: () => {
          killing = true;
        },
        signal: client.closed.signal,
        setPreviewSize: (cols, rows) => {
          this.preview = { cols, rows };
          const attached = new Set([...this.clients].flatMap((c) => (c.attached && !c.attached.readonly ? [c.attached.id] : [])));
          this.o.deck.setSize(cols, rows, attached);
        },
      });
      this.send(client, frame({ t: 'result', n, ok: true, value: value ?? null } satisfies ServerFrame));
    } catch (error) {
      this.send(client, frame({ t: 'result', n, ok: false, error: (error as Error).message } satisfies ServerFrame));
    }
    if (killing) this.o.onKillServer();
  }

  private schedulePush(client: Client): void {
    if (client.screenTimer || !client.watch) return;
    const wait = Math.max(0, SCREEN_PUSH_MS - (Date.now() - client.lastPush));
    client.screenTimer = setTimeout(() => void this.pushScreen(client), wait);
  }

  private async pushScreen(client: Client): Promise<void> {
    client.screenTimer = null;
    client.lastPush = Date.now();
    const watch = client.watch;
    if (!watch) return;
    const mirror = this.o.deck.screen(watch.id);
    if (!mirror) return;
    const rows = await mirror.readRows(watch.scroll);
    if (client.watch !== watch || !this.clients.has(client)) return;
    this.send(
      client,
      frame({ t: 'screen', id: watch.id, scroll: watch.scroll, rows, scrollback: mirror.scrollbackLength } satisfies ServerFrame),
    );
  }

  /**
   * Switch a connection to raw mode on a worker: resize its PTY to the
   * client's terminal and pass its output through an AttachStream, which
   * first paints the current screen from the mirror and turns the worker's own
   * alternate-screen switches into repaints, so the client's terminal never
   * leaves the deck's alternate screen. When the client falls more than
   * ATTACH_BACKLOG behind, raw output is dropped and the client is painted from
   * the mirror at the screen's pace (CatchUp) until the worker pauses; then
   * raw passthrough resumes. When the worker exits, the connection is
   * ended after its last output. `readonly`: output from now on only.
   */
  private attach(client: Client, id: string, cols: number, rows: number, readonly: boolean): void {
    const { deck } = this.o;
    const worker = deck.findWorker(id);
    if (!worker || !deck.isRunning(worker.id)) {
      return this.refuse(client, worker ? `${worker.name} is not running (${worker.status}); nothing to attach to.` : `No worker "${id}" in this deck.`);
    }
    const mirror = deck.screen(worker.id);
    if (!mirror) return this.refuse(client, `${worker.name} has no screen.`);
    const socket = client.socket;
    if (readonly) {
      const untap = deck.tap(worker.id, (data) => {
        if (!socket.destroyed && socket.writableLength <= ATTACH_BACKLOG) socket.write(data);
      });
      client.attached = { id: worker.id, untap, readonly };
      socket.write(frame({ t: 'attached', id: worker.id } satisfies ServerFrame));
      void deck.whenExited(worker.id).then(() => socket.end());
      return;
    }
    deck.resizeWorker(worker.id, cols, rows);
    const entry: AttachEntry = { client, stream: null, behind: null };
    const untap = deck.tap(worker.id, (data) => {
      if (entry.behind) return entry.behind.output();
      if (!entry.stream) return;
      if (socket.writableLength > ATTACH_BACKLOG) {
        entry.stream.close();
        entry.behind = new CatchUp({
          socket,
          frameMs: CATCH_UP_FRAME_MS,
          paint: async () => repaint(await mirror.serializeActive()),
          resume: () => {
            entry.behind = null;
            this.restartStreams(worker.id);
          },
        });
        entry.behind.start();
        return;
      }
      entry.stream.output(data);
    });
    client.attached = {
      id: worker.id,
      untap: () => {
        untap();
        entry.behind?.stop();
        entry.stream?.close();
        const entries = this.attachments.get(worker.id);
        entries?.delete(entry);
        if (entries?.size === 0) {
          this.attachments.delete(worker.id);
          mirror.watchSwitches(null);
        }
      },
      readonly,
    };
    socket.write(frame({ t: 'attached', id: worker.id } satisfies ServerFrame));
    const entries = this.attachments.get(worker.id) ?? new Set<AttachEntry>();
    entries.add(entry);
    this.attachments.set(worker.id, entries);
    this.restartStreams(worker.id);
    void deck.whenExited(worker.id).then(() => {
      if (client.attached?.id === worker.id) socket.end();
    });
  }

  /**
   * (Re)start the attach streams of every client attached to a worker, at
   * once: one switch watcher for the worker (a new one, so reports of the old
   * one are dropped) and a fresh paint for each, requested together with it,
   * before any further output, as AttachStream needs.
   */
  private restartStreams(id: string): void {
    const mirror = this.o.deck.screen(id);
    const entries = [...(this.attachments.get(id) ?? [])].filter((e) => !e.behind);
    if (!mirror || entries.length === 0) return;
    const streams = entries.map((entry) => {
      entry.stream?.close();
      const socket = entry.client.socket;
      entry.stream = new AttachStream((data) => {
        if (!socket.destroyed) socket.write(data);
      });
      return entry.stream;
    });
    mirror.watchSwitches((change) => {
      for (const entry of this.attachments.get(id) ?? []) entry.stream?.switched(change);
    });
    void mirror.serializeActive().then((screen) => {
      // Every mode the terminal had from before is reset; the painted screen turns on the worker's.
      // A stream replaced meanwhile is closed, and takes no paint.
      for (const stream of streams) stream.begin(repaint(screen));
    });
  }
}

/** One client attached to a worker: its stream (replaced on every repaint), and its catch-up while it is behind. */
interface AttachEntry {
  client: Client;
  stream: AttachStream | null;
  behind: CatchUp | null;
}
