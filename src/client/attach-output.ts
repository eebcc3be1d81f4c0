import { afterMs, HeldWriter, type Schedule } from '../fd-write.js';

/** The part of the real terminal the attach output needs (TerminalHost). */
export interface OutputTerminal {
  /** Write what the terminal takes now; returns the bytes it did not take. */
  writeSome(data: Buffer): Buffer;
}

/** The part of the attach channel it needs: stop and restart reading the worker's output. */
export interface PausableChannel {
  pause(): void;
  resume(): void;
}

/** How long to wait before offering a full terminal the rest again, in ms. */
const RETRY_MS = 2;

/**
 * The worker's output to the real terminal while attached, at the terminal's pace.
 * When the terminal takes less than it is given (its buffer is full), the rest is
 * kept (HeldWriter) and the channel is paused, so the server's side of the socket
 * backs up; past its backlog the server stops sending raw output and repaints the
 * screen from the worker's mirror once reading resumes (server.ts `attach`), as tmux
 * sends a slow client only what changed. Nothing is dropped here and nothing blocks:
 * keys (and the detach key) are read while the terminal is behind.
 * @param retry schedules `fn` after `ms` (a seam for tests); returns a cancel function
 * @returns `write` for the output, in order; `close` drops what is held (on detach)
 */
export function attachOutput(
  channel: PausableChannel,
  terminal: OutputTerminal,
  retry: Schedule = afterMs,
): { write: (data: string) => void; close: () => void } {
  // A terminal that hung up takes everything (writeSome gives nothing back): reading goes on.
  const writer = new HeldWriter((data) => ({ rest: terminal.writeSome(data), gone: false }), RETRY_MS, retry, {
    held: () => channel.pause(),
    drained: () => channel.resume(),
  });
  return { write: (data) => writer.write(data), close: () => writer.close() };
}
