import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';

/** Default cap of one transcript file, in bytes; with its one rotated file, a worker keeps at most twice this. */
export const TRANSCRIPT_CAP_BYTES = 8 * 1024 * 1024;

/**
 * Raw PTY output of one worker, appended to `transcripts/<id>.log`. When the
 * file passes `capBytes` it is renamed to `<id>.log.1` (replacing the older
 * one) and a new file starts, so disk use stays under 2 × cap.
 */
export class Transcript {
  private stream: WriteStream | null = null;
  private size = 0;
  private failed = false;
  private closed = false;
  private rotating = false;
  private queue: string[] = [];

  constructor(
    private readonly file: string,
    private readonly onError: (message: string) => void,
    private readonly capBytes = TRANSCRIPT_CAP_BYTES,
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

  /** Append output. Never throws; a write error is reported once and writing stops. */
  write(data: string): void {
    if (this.failed || !this.stream) return;
    if (this.rotating) {
      this.queue.push(data);
      return;
    }
    this.size += Buffer.byteLength(data);
    this.stream.write(data);
    if (this.size > this.capBytes) void this.rotate();
  }

  async close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    this.stream = null;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  private createStream(): WriteStream {
    const stream = createWriteStream(this.file, { flags: 'a', mode: 0o600 });
    stream.on('error', (error) => {
      if (this.failed) return;
      this.failed = true;
      this.onError(`Cannot write transcript ${this.file}: ${error.message}. The worker keeps running; its transcript stops here.`);
    });
    return stream;
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
    if (this.closed) {
      const stream = this.stream;
      this.stream = null;
      for (const data of this.queue.splice(0)) stream?.write(data);
      this.rotating = false;
      if (stream) await new Promise<void>((resolve) => stream.end(resolve));
      return;
    }
    this.rotating = false;
    const queued = this.queue;
    this.queue = [];
    for (const data of queued) this.write(data);
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
