import { findDetachKey, MODE_RESET, type DetachKey } from '../core/detach-key.js';
import { FocusMode } from '../core/focus-mode.js';
import type { AttachChannel } from './remote-deck.js';
import { attachOutput, type OutputTerminal } from './attach-output.js';

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
 * @param hint a line shown once, on the bottom row over the worker's first
 *   paint (the cursor and colours are saved and restored around it), until
 *   the worker draws there: how to detach
 * @returns a handle: `input` takes raw terminal input; `ended` resolves once, when detached or ended;
 *   `focusReports` says whether the worker has focus reporting on now (DECSET 1004 in its output)
 */
export function passthrough(
  channel: AttachChannel,
  write: (data: string) => void,
  detachKey: DetachKey,
  hint: string | null = null,
): Passthrough {
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
  let hinted = hint === null;
  const focus = new FocusMode();
  channel.onData((data) => {
    if (done) return;
    focus.push(data);
    write(data);
    if (!hinted) {
      hinted = true;
      write(attachHint(hint ?? ''));
    }
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
  return { input, ended, focusReports: () => focus.on };
}

/** The handle of an attach: see `passthrough`. */
export interface Passthrough {
  input: (data: string) => void;
  ended: Promise<AttachEnd>;
  focusReports: () => boolean;
}

/** `text` in reverse video on the bottom row, the cursor and its colours saved and restored around it (DECSC/DECRC). */
export function attachHint(text: string): string {
  return `\u001b7\u001b[999;1H\u001b[7m ${text} \u001b[27m\u001b8`;
}

/** The hint and the terminal title while attached to `name`: how to detach, e.g. `Ctrl-] detaches`. */
export function detachHint(name: string, detachKey: DetachKey): { line: string; title: string } {
  const key = detachKey.name.replace(/^ctrl\+(.)$/, (_m, c: string) => `Ctrl-${c.toUpperCase()}`);
  return { line: `Attached to ${name}: ${key} detaches`, title: `\u001b]0;workerdeck: ${name} (detach: ${key})\u0007` };
}

/**
 * Attach the real terminal to a worker's channel, as the TUI and `workerdeck
 * attach` both do: the detach key in the terminal's title (and once over the
 * first paint), the worker's output at the terminal's pace (attachOutput), and
 * the passthrough; what is held for the terminal is dropped when it ends.
 * @param name the worker's name, for the hint
 * @returns the passthrough's handle
 */
export function attachTerminal(
  channel: AttachChannel,
  terminal: OutputTerminal & { write(data: string): void },
  name: string,
  detachKey: DetachKey,
): Passthrough {
  const hint = detachHint(name, detachKey);
  terminal.write(hint.title);
  const output = attachOutput(channel, terminal);
  const p = passthrough(channel, output.write, detachKey, hint.line);
  void p.ended.then(() => output.close());
  return p;
}
