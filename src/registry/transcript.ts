import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';

/** Default cap of one transcript file, in bytes; with its one rotated file, a worker keeps at most twice this. */
export const TRANSCRIPT_CAP_BYTES = 8 * 1024 * 1024;
/**
 * Bytes a transcript may hold in memory, waiting for the disk, before `write`
 * asks the caller to stop (the Deck then pauses the worker's PTY).
 */
export const TRANSCRIPT_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Raw PTY output of one worker, appended to `transcripts/<id>.log`. When the
 * file passes `capBytes` it is renamed to `<id>.log.1` (replacing the older
 * one) and a new file starts, so disk use stays under 2 × cap.
 *
 * Back-pressure: `write` returns false once more than `highWaterBytes` wait
 * for the disk; the `onDrain` listener runs when they have been written.
 */
export class Transcript {
  private stream: WriteStream | null = null;
  private size = 0;
  private failed = false;
  private closed = false;
  private rotating = false;
  private queue: (string | Uint8Array)[] = [];
  private queuedBytes = 0;
  /** A write returned false and the drain listener has not run since. */
  private needDrain = false;
  private drainListener: () => void = () => undefined;

  constructor(
    private readonly file: string,
    private readonly onError: (message: string) => void,
    private readonly capBytes = TRANSCRIPT_CAP_BYTES,
    private readonly highWaterBytes = TRANSCRIPT_HIGH_WATER_BYTES,
  ) {}

  /** Open for appending; picks up the size of an existing file. */
  async open(): Promise<void> {
    try {
      this.size = (await stat(this.file)).size;
    } catch {
      this.size = 0;
    }
    this.stream = this.createStream();
  }

  /** Run `listener` each time the output held back after a `write` that returned false has been written. */
  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /**
   * Append output: a string, or its UTF-8 bytes.
   * @returns false when more than `highWaterBytes` now wait for the disk: stop
   *   writing until the drain listener runs (writing more is still safe, only
   *   held in memory). Never throws; a write error is reported once, writing
   *   stops, and from then on this returns true.
   */
  write(data: string | Uint8Array): boolean {
    if (this.failed || !this.stream) return true;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this.rotating) {
      this.queue.push(data);
      this.queuedBytes += bytes;
      if (this.queuedBytes < this.highWaterBytes) return true;
      this.needDrain = true;
      return false;
    }
    this.size += bytes;
    const ok = this.stream.write(data);
    if (this.size > this.capBytes) void this.rotate();
    if (!ok) this.needDrain = true;
    return ok;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    this.stream = null;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  private createStream(): WriteStream {
    const stream = createWriteStream(this.file, { flags: 'a', mode: 0o600, highWaterMark: this.highWaterBytes });
    stream.on('error', (error) => {
      if (this.failed) return;
      this.failed = true;
      this.onError(`Cannot write transcript ${this.file}: ${error.message}. The worker keeps running; its transcript stops here.`);
      // Nothing more will be written: never keep the worker waiting on this file.
      this.drained();
    });
    stream.on('drain', () => {
      // The old stream drains while it is being closed for a rotation: the queue still waits.
      if (stream === this.stream && !this.rotating) this.drained();
    });
    return stream;
  }

  private drained(): void {
    if (!this.needDrain) return;
    this.needDrain = false;
    this.drainListener();
  }

  private async rotate(): Promise<void> {
    this.rotating = true;
    const old = this.stream;
    if (old) await new Promise<void>((resolve) => old.end(resolve));
    try {
      await rename(this.file, `${this.file}.1`);
    } catch {
      // Nothing to rotate: keep appending to a fresh file.
    }
    this.size = 0;
    // Closed while rotating: the output that waited goes into the new file, which is closed at once.
    this.stream = this.failed ? null : this.createStream();
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.closed) {
      const stream = this.stream;
      this.stream = null;
      for (const data of queued) stream?.write(data);
      this.rotating = false;
      if (stream) await new Promise<void>((resolve) => stream.end(resolve));
      return;
    }
    this.rotating = false;
    let ok = true;
    for (const data of queued) ok = this.write(data);
    // The new stream will say 'drain' itself when its last write returned false.
    if (ok || this.failed) this.drained();
  }
}

/**
 * The last `maxBytes` of a worker's transcript (rotated file first), for
 * rebuilding its last screen after a restart. Empty when there is none.
 */
export async function readTranscriptTail(file: string, maxBytes = 1024 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let left = maxBytes;
  for (const f of [file, `${file}.1`]) {
    if (left <= 0) break;
    try {
      const handle = await open(f, 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, left);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        parts.unshift(buffer);
        left -= length;
      } finally {
        await handle.close();
      }
    } catch {
      // Missing file: nothing to add.
    }
  }
  return Buffer.concat(parts).toString('utf8');
}
