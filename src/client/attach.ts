import { findDetachKey, MODE_RESET, type DetachKey } from '../core/detach-key.js';
import type { AttachChannel } from './remote-deck.js';

/** How an attach ended. */
export interface AttachEnd {
  /** `detached`: the operator pressed the detach key; `ended`: the worker exited or the server went away. */
  how: 'detached' | 'ended';
  /** Input typed after the detach key in the same read: it belongs to whoever has the terminal next. */
  rest: string;
}

/**
 * Full-screen passthrough to a worker: its output goes to the terminal as it
 * comes (the server repaints from its mirror first, and keeps the real
 * terminal in the deck's alternate screen), and every key goes to the worker
 * except the detach key, recognised in its legacy, kitty and modifyOtherKeys
 * encodings (a kitty key release alone is swallowed).
 * @param write writes to the real terminal
 * @returns a handle: `input` takes raw terminal input; `ended` resolves once, when detached or ended
 */
export function passthrough(
  channel: AttachChannel,
  write: (data: string) => void,
  detachKey: DetachKey,
): { input: (data: string) => void; ended: Promise<AttachEnd> } {
  let finish!: (end: AttachEnd) => void;
  let done = false;
  const ended = new Promise<AttachEnd>((resolve) => (finish = resolve));
  const end = (how: AttachEnd['how'], rest = '') => {
    if (done) return;
    done = true;
    channel.close();
    finish({ how, rest });
  };
  // The deck's own modes off first; the server's paint turns on the worker's.
  write(MODE_RESET);
  channel.onData((data) => {
    if (!done) write(data);
  });
  channel.onEnd(() => end('ended'));
  const input = (data: string): void => {
    if (done) return;
    const match = findDetachKey(data, detachKey);
    if (!match) return channel.write(data);
    if (match.start > 0) channel.write(data.slice(0, match.start));
    const rest = data.slice(match.end);
    if (match.releaseOnly) {
      if (rest) input(rest);
      return;
    }
    end('detached', rest);
  };
  return { input, ended };
}
