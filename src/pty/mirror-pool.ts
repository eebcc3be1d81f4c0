import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MirrorHandle, ScreenSwitch } from './types.js';

/** Messages from the deck to the mirror thread. */
export type ToThread =
  | { t: 'create'; id: number; cols: number; rows: number }
  | { t: 'write'; id: number; data: string | Uint8Array; n: number }
  | { t: 'resize'; id: number; cols: number; rows: number }
  | { t: 'flush'; id: number; req: number }
  | { t: 'rows'; id: number; req: number; scrollBack: number; plain: boolean }
  | { t: 'serialize'; id: number; req: number }
  | { t: 'active'; id: number; req: number }
  | { t: 'watch'; id: number; on: boolean; gen: number }
  | { t: 'dispose'; id: number }
  | { t: 'release' };

/** Messages from the mirror thread: a parse acknowledgement, a reply to a request, or a watched screen switch. */
export type FromThread =
  | { t: 'parsed'; id: number; n: number; bp: boolean; sb: number }
  | { t: 'reply'; req: number; value: unknown }
  | { t: 'switch'; id: number; gen: number; alt: boolean; screen: string };

/**
 * Cap of the mirror thread's young generation, in MB. Node gives a worker
 * thread up to 192 MB, which a flood fills with short-lived messages and V8
 * keeps committed; the thread's live data is a few MB per mirror. Only the
 * young generation is capped: objects that outgrow it are promoted, never
 * lost (the old generation's limit, whose overrun would end the thread, stays
 * V8's default).
 */
export const MIRROR_THREAD_YOUNG_MB = 16;

/** dist/pty/mirror-thread.js, also when this module runs from src/ under a test runner. */
function threadFile(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) return path.resolve(dir, '..', '..', 'dist', 'pty', 'mirror-thread.js');
  return path.join(dir, 'mirror-thread.js');
}

interface ClientState {
  cols: number;
  rows: number;
  bp: boolean;
  sb: number;
  callbacks: ((() => void) | undefined)[];
  cache: { scrollBack: number; rows: string[] } | null;
  onSwitch: ((change: ScreenSwitch | null) => void) | null;
  /** Counts watchSwitches calls, so a switch the thread reported for an earlier watcher reaches no later one. */
  watchGen: number;
}

/**
 * One worker thread that holds every screen mirror. `create` hands out
 * MirrorHandles whose writes are posted to the thread; each write is
 * acknowledged once parsed, which drives the Deck's flow control.
 */
export class MirrorPool {
  private readonly worker: Worker;
  private nextId = 1;
  private nextReq = 1;
  private readonly clients = new Map<number, ClientState>();
  private readonly pending = new Map<number, (value: unknown) => void>();
  private failed: Error | null = null;

  /**
   * @param onError called once if the thread fails (it could not load, or threw)
   * @param file the thread's module; default: mirror-thread.js beside this module
   *   (dist/pty/mirror-thread.js when this runs from src/ under a test runner)
   */
  constructor(onError: (error: Error) => void = () => undefined, file: string | URL = threadFile()) {
    this.worker = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: MIRROR_THREAD_YOUNG_MB } });
    this.worker.unref();
    this.worker.on('message', (m: FromThread) => this.onMessage(m));
    this.worker.on('error', (error) => {
      this.release(error);
      onError(error);
    });
  }

  /** Ask the thread to collect its garbage and return free memory to the system (see releaseHeap). */
  releaseHeap(): void {
    if (!this.failed) this.worker.postMessage({ t: 'release' } satisfies ToThread);
  }

  /** Stop the thread; every handle becomes inert: writes count as parsed, reads give empty results. */
  async close(): Promise<void> {
    this.release(new Error('The mirror pool is closed.'));
    await this.worker.terminate();
  }

  /**
   * From now on nothing reaches the thread: pending reads resolve null, and
   * writes that will never be acknowledged are released, or flow control
   * would hold their PTYs paused.
   */
  private release(reason: Error): void {
    this.failed ??= reason;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    for (const client of this.clients.values()) for (const callback of client.callbacks.splice(0)) callback?.();
    // Switches that will never be reported: tell the watchers, so an attach stops waiting for them.
    for (const client of this.clients.values()) client.onSwitch?.(null);
  }

  private onMessage(m: FromThread): void {
    if (m.t === 'reply') {
      const resolve = this.pending.get(m.req);
      this.pending.delete(m.req);
      resolve?.(m.value);
      return;
    }
    const client = this.clients.get(m.id);
    if (!client) return;
    if (m.t === 'switch') {
      if (m.gen === client.watchGen) client.onSwitch?.({ alt: m.alt, screen: m.screen });
      return;
    }
    client.bp = m.bp;
    client.sb = m.sb;
    const callback = client.callbacks.shift();
    callback?.();
  }

  private request<T>(message: ToThread & { req: number }): Promise<T | null> {
    if (this.failed) return Promise.resolve(null);
    return new Promise<T | null>((resolve) => {
      this.pending.set(message.req, resolve as (value: unknown) => void);
      this.worker.postMessage(message);
    });
  }

  /** A new mirror of `cols`×`rows` cells in the thread. */
  create(cols: number, rows: number): MirrorHandle {
    const id = this.nextId++;
    const state: ClientState = { cols, rows, bp: false, sb: 0, callbacks: [], cache: null, onSwitch: null, watchGen: 0 };
    this.clients.set(id, state);
    this.worker.postMessage({ t: 'create', id, cols, rows } satisfies ToThread);
    const pool = this;
    return {
      get cols() {
        return state.cols;
      },
      get rows() {
        return state.rows;
      },
      get bracketedPaste() {
        return state.bp;
      },
      get scrollbackLength() {
        return state.sb;
      },
      write(data, onParsed) {
        if (pool.failed) {
          onParsed?.();
          return;
        }
        state.callbacks.push(onParsed);
        if (typeof data === 'string') {
          pool.worker.postMessage({ t: 'write', id, data, n: data.length } satisfies ToThread);
          return;
        }
        // Bytes go over as a copy of their own that is moved, not cloned, into the thread: its
        // buffer lives outside the thread's V8 heap. Long strings instead land in that heap's
        // large-object space, survive there while they wait to be parsed, and stay, dead, until
        // a full GC that an idle thread never runs (170 MB of them after a 10-worker flood).
        const copy = new Uint8Array(data);
        pool.worker.postMessage({ t: 'write', id, data: copy, n: copy.byteLength } satisfies ToThread, [copy.buffer]);
      },
      flush: async () => {
        await pool.request({ t: 'flush', id, req: pool.nextReq++ });
      },
      resize(c, r) {
        if (c === state.cols && r === state.rows) return;
        state.cols = Math.max(2, c);
        state.rows = Math.max(2, r);
        state.cache = null;
        pool.worker.postMessage({ t: 'resize', id, cols: c, rows: r } satisfies ToThread);
      },
      cachedRows: (scrollBack) => (state.cache && state.cache.scrollBack === scrollBack ? state.cache.rows : null),
      readRows: async (scrollBack) => {
        const rowsNow = (await pool.request<string[]>({ t: 'rows', id, req: pool.nextReq++, scrollBack, plain: false })) ?? [];
        state.cache = { scrollBack, rows: rowsNow };
        return rowsNow;
      },
      textRows: async () => (await pool.request<string[]>({ t: 'rows', id, req: pool.nextReq++, scrollBack: 0, plain: true })) ?? [],
      serialize: async () => (await pool.request<string>({ t: 'serialize', id, req: pool.nextReq++ })) ?? '',
      serializeActive: async () => (await pool.request<string>({ t: 'active', id, req: pool.nextReq++ })) ?? '',
      watchSwitches(listener) {
        state.onSwitch = listener;
        state.watchGen++;
        if (pool.failed) listener?.(null);
        else pool.worker.postMessage({ t: 'watch', id, on: listener !== null, gen: state.watchGen } satisfies ToThread);
      },
      dispose() {
        state.onSwitch = null;
        pool.clients.delete(id);
        if (!pool.failed) pool.worker.postMessage({ t: 'dispose', id } satisfies ToThread);
      },
    };
  }
}
