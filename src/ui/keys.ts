/**
 * Decode raw terminal input into key names, for the deck's one keypress
 * dispatcher. Names: a printable character (`n`, `D`, `?`, `é`), or a named
 * key with optional `ctrl+`/`meta+`/`shift+` prefixes: `enter`, `ctrl+j`,
 * `meta+enter`, `tab`, `shift+tab`, `escape`, `backspace`, `delete`, `space`,
 * `up`, `down`, `left`, `right`, `home`, `end`, `pageup`, `pagedown`,
 * `ctrl+c`. A bracketed paste arrives as one `paste` key with its text.
 */

export interface KeyPress {
  name: string;
  /** For printable keys and pastes: the text to insert. */
  text?: string;
  /** The input it was decoded from, as the terminal sent it (set by decodeKeys). */
  raw?: string;
}

const CSI_TILDE: Record<string, string> = {
  '1': 'home',
  '2': 'insert',
  '3': 'delete',
  '4': 'end',
  '5': 'pageup',
  '6': 'pagedown',
  '7': 'home',
  '8': 'end',
};
const CSI_FINAL: Record<string, string> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', Z: 'shift+tab' };
const KITTY_NAMED: Record<number, string> = { 13: 'enter', 9: 'tab', 27: 'escape', 127: 'backspace', 32: 'space' };

function withMods(name: string, modField: number): string {
  const bits = (modField - 1) & 0b111;
  let prefix = '';
  if (bits & 4) prefix += 'ctrl+';
  if (bits & 2) prefix += 'meta+';
  if (bits & 1 && name.length > 1) prefix += 'shift+';
  return prefix + name;
}

function controlKey(code: number): KeyPress {
  switch (code) {
    case 0x0d:
      return { name: 'enter' };
    case 0x0a:
      return { name: 'ctrl+j' };
    case 0x09:
      return { name: 'tab' };
    case 0x7f:
    case 0x08:
      return { name: 'backspace' };
    case 0x00:
      return { name: 'ctrl+space' };
    default:
      return { name: `ctrl+${String.fromCharCode(code + 0x60)}` };
  }
}

/** Decode one chunk of raw input (as read from stdin in raw mode) into key presses. */
export function decodeKeys(chunk: string): KeyPress[] {
  const keys: KeyPress[] = [];
  let i = 0;
  while (i < chunk.length) {
    const start = i;
    const before = keys.length;
    try {
      i = decodeOne(chunk, i, keys);
    } finally {
      for (let k = before; k < keys.length; k++) (keys[k] as KeyPress).raw = chunk.slice(start, i);
    }
  }
  return keys;
}

/** Decode the key at `i` into `keys`; returns the index after it. */
function decodeOne(chunk: string, i: number, keys: KeyPress[]): number {
  {
    const ch = chunk[i] as string;
    if (ch === '\u001b') {
      const rest = chunk.slice(i);
      if (rest.startsWith('\u001b[200~')) {
        const end = rest.indexOf('\u001b[201~');
        const text = end === -1 ? rest.slice(6) : rest.slice(6, end);
        keys.push({ name: 'paste', text });
        i += end === -1 ? rest.length : end + 6;
        return i;
      }
      // CSI: ESC [ params final
      const csi = /^\u001b\[([0-9;:?<=>]*)([ -/]*)([@-~])/.exec(rest);
      if (csi) {
        keys.push(decodeCsi(csi[1] ?? '', csi[3] ?? ''));
        i += csi[0].length;
        return i;
      }
      const ss3 = /^\u001bO([A-Za-z])/.exec(rest);
      if (ss3) {
        const name = CSI_FINAL[ss3[1] ?? ''] ?? ({ P: 'f1', Q: 'f2', R: 'f3', S: 'f4' } as Record<string, string>)[ss3[1] ?? ''];
        keys.push({ name: name ?? 'unknown' });
        i += 3;
        return i;
      }
      const next = chunk[i + 1];
      if (next === undefined) {
        keys.push({ name: 'escape' });
        i += 1;
        return i;
      }
      if (next === '\r') keys.push({ name: 'meta+enter' });
      else if (next === '\u001b') {
        keys.push({ name: 'escape' });
        i += 1;
        return i;
      } else if (next.charCodeAt(0) < 0x20 || next === '\u007f') keys.push({ name: `meta+${controlKey(next.charCodeAt(0)).name}` });
      else keys.push({ name: `meta+${next}` });
      i += 2;
      return i;
    }
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) {
      keys.push(controlKey(code));
      i += 1;
      return i;
    }
    const cp = chunk.codePointAt(i) ?? code;
    const char = String.fromCodePoint(cp);
    keys.push(char === ' ' ? { name: 'space', text: ' ' } : { name: char, text: char });
    return i + char.length;
  }
}

/** A code point a key can carry: printable, in range, not a surrogate. */
function isKeyCodePoint(code: number): boolean {
  return Number.isInteger(code) && code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
}

function decodeCsi(params: string, final: string): KeyPress {
  // Focus reports (CSI ? 1004 h turns them on).
  if (params === '' && (final === 'I' || final === 'O')) return { name: final === 'I' ? 'focus-in' : 'focus-out' };
  const fields = params.split(';');
  if (final === 'u') {
    // kitty keyboard protocol: code[:alt] ; mods[:event] ; text
    const code = Number((fields[0] ?? '').split(':')[0]);
    const mods = Number((fields[1] ?? '1').split(':')[0]) || 1;
    const named = KITTY_NAMED[code];
    if (named) return { name: withMods(named, mods) };
    // Terminal replies such as CSI ?0u (a kitty query's answer) are not keys.
    if (!isKeyCodePoint(code) || params.startsWith('?')) return { name: 'unknown' };
    const char = String.fromCodePoint(code);
    if (mods === 1 || mods === 2) return { name: mods === 2 ? char.toUpperCase() : char, text: mods === 2 ? char.toUpperCase() : char };
    return { name: withMods(char, mods) };
  }
  if (final === '~') {
    if (fields[0] === '27' && fields.length >= 3) {
      // modifyOtherKeys: 27 ; mods ; code
      const code = Number(fields[2]);
      const named = KITTY_NAMED[code];
      if (!named && !isKeyCodePoint(code)) return { name: 'unknown' };
      return { name: withMods(named ?? String.fromCodePoint(code), Number(fields[1]) || 1) };
    }
    const name = CSI_TILDE[fields[0] ?? ''];
    if (!name) return { name: 'unknown' };
    return { name: withMods(name, Number(fields[1]) || 1) };
  }
  const name = CSI_FINAL[final];
  if (!name) return { name: 'unknown' };
  if (name === 'shift+tab') return { name };
  return { name: withMods(name, Number(fields[1]) || 1) };
}
