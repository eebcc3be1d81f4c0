/**
 * The detach key (default Ctrl-]) in the three encodings a terminal may send
 * while an agent TUI has changed the keyboard mode: the legacy control byte
 * (0x1d), the kitty keyboard protocol (`ESC[93;5u`) and xterm's
 * modifyOtherKeys (`ESC[27;5;93~`). Pure: no I/O.
 */

export interface DetachKey {
  /** The config spelling, e.g. `ctrl+]`. */
  name: string;
  /** Unicode code point of the base key, e.g. 93 for `]`. */
  codepoint: number;
  /** The legacy C0 byte the terminal sends without any keyboard mode, e.g. 0x1d. */
  legacy: number;
}

/**
 * Parse a detach key name. Only `ctrl+<char>` is accepted where `<char>` is a
 * letter or one of `@[\]^_`, because only those have a legacy control byte.
 * @throws Error with a sentence that says which keys are allowed.
 */
export function parseDetachKey(name: string): DetachKey {
  const match = /^ctrl\+(.)$/i.exec(name.trim());
  const char = match?.[1];
  if (!char) {
    throw new Error(`detachKey "${name}" is not of the form ctrl+<key>, e.g. "ctrl+]" or "ctrl+q".`);
  }
  const lower = char.toLowerCase();
  let legacy: number;
  if (lower >= 'a' && lower <= 'z') legacy = lower.charCodeAt(0) - 0x60;
  else if ('@[\\]^_'.includes(char)) legacy = char.charCodeAt(0) - 0x40;
  else throw new Error(`detachKey "${name}": ctrl+${char} has no control code; use a letter or one of @ [ \\ ] ^ _.`);
  if (legacy === 0x03 || legacy === 0x0d || legacy === 0x09 || legacy === 0x1b || legacy === 0x08) {
    throw new Error(`detachKey "${name}" would steal a key every program needs (Ctrl-C, Enter, Tab, Esc, Backspace).`);
  }
  return { name: `ctrl+${lower}`, codepoint: lower.charCodeAt(0), legacy };
}

// Kitty: CSI code[:alternates] ; modifiers[:event] [; text] u
// eslint-disable-next-line no-control-regex
const KITTY_RE = /\u001b\[(\d+)(?::[\d]*)*;(\d+)(?::(\d+))?(?:;[\d:]*)?u/g;
// modifyOtherKeys: CSI 27 ; modifiers ; code ~
// eslint-disable-next-line no-control-regex
const MOK_RE = /\u001b\[27;(\d+);(\d+)~/g;

/** True when a kitty/xterm modifier value means Ctrl alone (Caps and Num Lock allowed). */
function isCtrlOnly(modifierField: number): boolean {
  const bits = (modifierField - 1) & ~(64 | 128);
  return bits === 4;
}

export interface KeyMatch {
  /** Offset of the first byte of the key in the chunk. */
  start: number;
  /** Offset just past the key. */
  end: number;
  /** True for a kitty key release or repeat event, which detaches nothing but must not reach the worker. */
  releaseOnly: boolean;
}

/**
 * Find the first detach key in a chunk of raw terminal input.
 * @param chunk raw input as read from stdin (binary string or UTF-8)
 * @returns the span of the key, or null when the chunk holds none
 */
export function findDetachKey(chunk: string, key: DetachKey): KeyMatch | null {
  const found: KeyMatch[] = [];
  const legacyAt = chunk.indexOf(String.fromCharCode(key.legacy));
  if (legacyAt !== -1) found.push({ start: legacyAt, end: legacyAt + 1, releaseOnly: false });
  const upper = String.fromCharCode(key.codepoint).toUpperCase().charCodeAt(0);
  for (const m of chunk.matchAll(KITTY_RE)) {
    const code = Number(m[1]);
    if ((code === key.codepoint || code === upper) && isCtrlOnly(Number(m[2]))) {
      const event = m[3] === undefined ? 1 : Number(m[3]);
      found.push({ start: m.index, end: m.index + m[0].length, releaseOnly: event !== 1 });
    }
  }
  for (const m of chunk.matchAll(MOK_RE)) {
    const code = Number(m[2]);
    if ((code === key.codepoint || code === upper) && isCtrlOnly(Number(m[1]))) {
      found.push({ start: m.index, end: m.index + m[0].length, releaseOnly: false });
    }
  }
  const presses = found.filter((f) => !f.releaseOnly);
  const pool = presses.length > 0 ? presses : found;
  pool.sort((a, b) => a.start - b.start);
  return pool[0] ?? null;
}

/**
 * Sequences that undo every mode an attached worker may have turned on, so the
 * deck's screen comes back intact: kitty keyboard (pop all, flags 0),
 * modifyOtherKeys, bracketed paste, focus events, all mouse modes and
 * encodings, application cursor keys and keypad, insert mode, origin mode,
 * autowrap, reverse wrap, left/right margins, scroll region, character set,
 * SGR, cursor shape and visibility, synchronized output. It leaves the screen
 * (normal or alternate) as it is: the deck owns that.
 */
export const MODE_RESET =
  '\u001b[<99u\u001b[=0;1u' + // kitty keyboard: pop the stack, then clear the flags
  '\u001b[>4;0m' + // modifyOtherKeys off
  '\u001b[?2004l' + // bracketed paste off
  '\u001b[?1004l' + // focus events off
  '\u001b[?9l\u001b[?1000l\u001b[?1001l\u001b[?1002l\u001b[?1003l' + // mouse tracking
  '\u001b[?1005l\u001b[?1006l\u001b[?1015l\u001b[?1016l' + // mouse encodings
  '\u001b[?1l\u001b>' + // application cursor keys and keypad off
  '\u001b[4l\u001b[?6l\u001b[?7h\u001b[?45l\u001b[?69l\u001b[r' + // insert, origin off; autowrap on; reverse wrap, margins off; full scroll region
  '\u001b(B\u000f' + // ASCII in G0, G0 selected
  '\u001b[0m\u001b[0 q\u001b[?25h' + // SGR, cursor shape, cursor visible
  '\u001b[?2026l'; // synchronized output off
