/**
 * The protocol's framing (see protocol.ts): its version, the frame size limit,
 * newline-delimited JSON. Pure, and free of zod, so a client that only
 * connects and reads frames loads no schema (the TUI's first frame waits on it).
 */

/**
 * Bumped on every incompatible change of the frames (protocol.ts).
 * 4: permission-ask / permission-answer and the permission-answered event (issue 12).
 */
export const PROTOCOL_VERSION = 4;

/** Largest frame accepted, in bytes (a state snapshot with thousands of messages fits). */
export const MAX_FRAME_BYTES = 32 * 1024 * 1024;

/**
 * Splits a byte stream into newline-terminated frames. `push` returns the
 * complete lines; the remainder waits for the next chunk.
 * @throws Error when a line grows past `maxBytes` (the connection is then closed)
 */
export class LineSplitter {
  private rest = '';

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    this.each(chunk, (line) => lines.push(line) > 0);
    return lines;
  }

  /**
   * Like `push`, but one line at a time, for a stream that may switch to raw
   * bytes after one of its frames (attach): `onLine` returns false to stop,
   * and the exact text after that line, empty lines and all, stays for `take`.
   * @throws Error when the unfinished line grows past `maxBytes`
   */
  each(chunk: string, onLine: (line: string) => boolean): void {
    const text = this.rest + chunk;
    let at = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', at)) {
      const line = text.slice(at, nl);
      at = nl + 1;
      if (line.length > 0 && !onLine(line)) break;
    }
    this.rest = text.slice(at);
    if (this.rest.indexOf('\n') === -1 && this.rest.length > this.maxBytes) throw new Error(`a frame is longer than ${this.maxBytes} bytes`);
  }

  /** What is left after the last newline (raw bytes after a switch to raw mode). */
  take(): string {
    const rest = this.rest;
    this.rest = '';
    return rest;
  }
}

/** One frame as a line. */
export function frame(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
