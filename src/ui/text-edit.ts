/**
 * Editing a text field at a cursor: the spawn form's text fields and the
 * reply box. Pure. The cursor is an index in code points (0 = before the
 * first); `undefined` means the end, so new fields start there.
 */
import { sanitize } from '../core/sanitize.js';
import type { KeyPress } from './keys.js';

export interface EditResult {
  text: string;
  /** The cursor after the edit, in code points. */
  cursor: number;
}

/** The cursor as an index in `chars`, clamped; undefined → the end. */
function at(chars: string[], cursor: number | undefined): number {
  return cursor === undefined ? chars.length : Math.max(0, Math.min(chars.length, cursor));
}

/**
 * Apply an editing key at the cursor: printable keys, Space and pastes
 * insert; Left, Right, Home (Ctrl-A), End (Ctrl-E) move; Backspace and
 * Delete remove a character; Ctrl-W (and Alt-Backspace) the word before the
 * cursor; Ctrl-U everything before it; Ctrl-K everything after it.
 * @param allowNewlines false turns pasted newlines into spaces
 * @returns the new text and cursor, or null when the key is not an editing key
 */
export function editAt(text: string, cursor: number | undefined, key: KeyPress, allowNewlines = true): EditResult | null {
  const chars = [...text];
  const i = at(chars, cursor);
  const insert = (s: string): EditResult => {
    const added = [...s];
    return { text: [...chars.slice(0, i), ...added, ...chars.slice(i)].join(''), cursor: i + added.length };
  };
  const cut = (from: number, to: number): EditResult => ({ text: [...chars.slice(0, from), ...chars.slice(to)].join(''), cursor: from });
  switch (key.name) {
    case 'left':
      return { text, cursor: Math.max(0, i - 1) };
    case 'right':
      return { text, cursor: Math.min(chars.length, i + 1) };
    case 'home':
    case 'ctrl+a':
      return { text, cursor: 0 };
    case 'end':
    case 'ctrl+e':
      return { text, cursor: chars.length };
    case 'backspace':
      return i === 0 ? { text, cursor: 0 } : cut(i - 1, i);
    case 'delete':
      return cut(i, Math.min(chars.length, i + 1));
    case 'ctrl+u':
      return cut(0, i);
    case 'ctrl+k':
      return cut(i, chars.length);
    case 'ctrl+w':
    case 'meta+backspace': {
      // Spaces before the cursor, then the word before them.
      let from = i;
      while (from > 0 && /\s/.test(chars[from - 1] ?? '')) from--;
      while (from > 0 && !/\s/.test(chars[from - 1] ?? '')) from--;
      return cut(from, i);
    }
    case 'space':
      return insert(' ');
    case 'paste': {
      if (key.text === undefined) return null;
      const pasted = sanitize(key.text);
      return insert(allowNewlines ? pasted : pasted.replace(/\n/g, ' '));
    }
    default:
      if (key.text !== undefined && [...key.name].length === 1) return insert(key.text);
      return null;
  }
}

/** `text` with the cursor mark `▏` at `cursor` (undefined: at the end). */
export function withCursor(text: string, cursor: number | undefined, mark = '▏'): string {
  const chars = [...text];
  const i = at(chars, cursor);
  return [...chars.slice(0, i), mark, ...chars.slice(i)].join('');
}
