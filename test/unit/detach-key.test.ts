import { describe, expect, it } from 'vitest';
import { findDetachKey, parseDetachKey } from '../../src/core/detach-key.js';

const ESC = '\u001b';
const ctrlBracket = parseDetachKey('ctrl+]');

describe('parseDetachKey', () => {
  it('parses ctrl+] and letters', () => {
    expect(ctrlBracket).toEqual({ name: 'ctrl+]', codepoint: 93, legacy: 0x1d });
    expect(parseDetachKey('ctrl+q')).toEqual({ name: 'ctrl+q', codepoint: 113, legacy: 0x11 });
    expect(parseDetachKey(' CTRL+Q ')).toEqual({ name: 'ctrl+q', codepoint: 113, legacy: 0x11 });
    expect(parseDetachKey('ctrl+\\')).toEqual({ name: 'ctrl+\\', codepoint: 92, legacy: 0x1c });
    expect(parseDetachKey('ctrl+_').legacy).toBe(0x1f);
  });

  it('refuses other shapes with a sentence', () => {
    expect(() => parseDetachKey('alt+x')).toThrow('detachKey "alt+x" is not of the form ctrl+<key>');
    expect(() => parseDetachKey('ctrl+ab')).toThrow(/is not of the form ctrl\+<key>/);
    expect(() => parseDetachKey('ctrl+1')).toThrow('ctrl+1 has no control code; use a letter or one of @ [ \\ ] ^ _.');
  });

  it('refuses keys every program needs', () => {
    for (const name of ['ctrl+c', 'ctrl+m', 'ctrl+i', 'ctrl+[', 'ctrl+h']) {
      expect(() => parseDetachKey(name)).toThrow(/would steal a key every program needs/);
    }
  });
});

describe('findDetachKey', () => {
  it('finds the legacy byte 0x1d', () => {
    expect(findDetachKey('\u001d', ctrlBracket)).toEqual({ start: 0, end: 1, releaseOnly: false });
    expect(findDetachKey('ab\u001dcd', ctrlBracket)).toEqual({ start: 2, end: 3, releaseOnly: false });
  });

  it('finds the kitty encoding, with or without a press event and with Caps Lock', () => {
    expect(findDetachKey(`${ESC}[93;5u`, ctrlBracket)).toEqual({ start: 0, end: 7, releaseOnly: false });
    expect(findDetachKey(`${ESC}[93;5:1u`, ctrlBracket)).toEqual({ start: 0, end: 9, releaseOnly: false });
    expect(findDetachKey(`${ESC}[93;69u`, ctrlBracket)).toEqual({ start: 0, end: 8, releaseOnly: false });
    expect(findDetachKey(`${ESC}[93;133u`, ctrlBracket)).toEqual({ start: 0, end: 9, releaseOnly: false }); // Num Lock
  });

  it('marks kitty release and repeat events releaseOnly', () => {
    expect(findDetachKey(`${ESC}[93;5:3u`, ctrlBracket)).toEqual({ start: 0, end: 9, releaseOnly: true });
    expect(findDetachKey(`${ESC}[93;5:2u`, ctrlBracket)).toEqual({ start: 0, end: 9, releaseOnly: true });
  });

  it('prefers a press over an earlier release in the same chunk', () => {
    const chunk = `${ESC}[93;5:3u${ESC}[93;5u`;
    expect(findDetachKey(chunk, ctrlBracket)).toEqual({ start: 9, end: 16, releaseOnly: false });
  });

  it('finds the modifyOtherKeys encoding', () => {
    expect(findDetachKey(`${ESC}[27;5;93~`, ctrlBracket)).toEqual({ start: 0, end: 10, releaseOnly: false });
  });

  it('returns the span of the key inside other input', () => {
    const before = `x${ESC}[Ay`;
    const chunk = `${before}${ESC}[93;5uz`;
    const m = findDetachKey(chunk, ctrlBracket);
    expect(m).toEqual({ start: before.length, end: before.length + 7, releaseOnly: false });
    expect(chunk.slice(0, m!.start) + chunk.slice(m!.end)).toBe(`x${ESC}[Ayz`);
    const mok = `hello${ESC}[27;5;93~world`;
    expect(findDetachKey(mok, ctrlBracket)).toEqual({ start: 5, end: 15, releaseOnly: false });
    // The first of two encodings wins.
    expect(findDetachKey(`ab${ESC}[27;5;93~\u001d`, ctrlBracket)?.start).toBe(2);
  });

  it('does not match alt, ctrl+shift, plain ] or other keys', () => {
    expect(findDetachKey(`${ESC}[93;3u`, ctrlBracket)).toBeNull();
    expect(findDetachKey(`${ESC}[93;6u`, ctrlBracket)).toBeNull();
    expect(findDetachKey(`${ESC}[27;3;93~`, ctrlBracket)).toBeNull();
    expect(findDetachKey(']', ctrlBracket)).toBeNull();
    expect(findDetachKey(`${ESC}[93u`, ctrlBracket)).toBeNull();
    expect(findDetachKey(`${ESC}[91;5u`, ctrlBracket)).toBeNull();
    expect(findDetachKey('plain text\r', ctrlBracket)).toBeNull();
  });

  it('works for other keys such as ctrl+q', () => {
    const key = parseDetachKey('ctrl+q');
    expect(findDetachKey('\u0011', key)).toEqual({ start: 0, end: 1, releaseOnly: false });
    expect(findDetachKey(`${ESC}[113;5u`, key)).toEqual({ start: 0, end: 8, releaseOnly: false });
    expect(findDetachKey(`${ESC}[27;5;113~`, key)).toEqual({ start: 0, end: 11, releaseOnly: false });
    expect(findDetachKey('\u001d', key)).toBeNull();
    expect(findDetachKey(`${ESC}[93;5u`, key)).toBeNull();
    expect(findDetachKey('q', key)).toBeNull();
  });
});
