import { describe, expect, it } from 'vitest';
import { decodeKeys } from '../../src/ui/keys.js';

const names = (chunk: string) => decodeKeys(chunk).map((k) => k.name);

describe('decodeKeys', () => {
  it('tells enter, ctrl+j and meta+enter apart', () => {
    expect(names('\r')).toEqual(['enter']);
    expect(names('\n')).toEqual(['ctrl+j']);
    expect(names('\u001b\r')).toEqual(['meta+enter']);
  });

  it('decodes printable keys with their text, and space', () => {
    expect(decodeKeys('aZ?')).toMatchObject([
      { name: 'a', text: 'a' },
      { name: 'Z', text: 'Z' },
      { name: '?', text: '?' },
    ]);
    expect(decodeKeys(' ')).toMatchObject([{ name: 'space', text: ' ' }]);
    expect(decodeKeys('é😀')).toMatchObject([
      { name: 'é', text: 'é' },
      { name: '😀', text: '😀' },
    ]);
  });

  it('decodes control keys', () => {
    expect(names('\u0003')).toEqual(['ctrl+c']);
    expect(names('\t')).toEqual(['tab']);
    expect(names('\u007f\u0008')).toEqual(['backspace', 'backspace']);
    expect(names('\u0015\u0017')).toEqual(['ctrl+u', 'ctrl+w']);
    expect(names('\u001b')).toEqual(['escape']);
    expect(names('\u001bx')).toEqual(['meta+x']);
  });

  it('decodes shift+tab, arrows, home/end and pageup/pagedown', () => {
    expect(names('\u001b[Z')).toEqual(['shift+tab']);
    expect(names('\u001b[A\u001b[B\u001b[C\u001b[D')).toEqual(['up', 'down', 'right', 'left']);
    expect(names('\u001bOA\u001bOB')).toEqual(['up', 'down']);
    expect(names('\u001b[1;5A')).toEqual(['ctrl+up']);
    expect(names('\u001b[5~\u001b[6~')).toEqual(['pageup', 'pagedown']);
    expect(names('\u001b[H\u001b[F\u001b[3~')).toEqual(['home', 'end', 'delete']);
  });

  it('splits a chunk of mixed keys', () => {
    expect(names('ab\u001b[Bq\r')).toEqual(['a', 'b', 'down', 'q', 'enter']);
  });

  it('turns a bracketed paste into one paste key with its text', () => {
    expect(decodeKeys('\u001b[200~hello\r\nworld\u001b[201~x')).toMatchObject([
      { name: 'paste', text: 'hello\r\nworld' },
      { name: 'x', text: 'x' },
    ]);
    // A paste cut off at the end of a chunk keeps what arrived.
    expect(decodeKeys('\u001b[200~partial')).toMatchObject([{ name: 'paste', text: 'partial' }]);
  });

  it('decodes kitty keyboard protocol keys', () => {
    expect(names('\u001b[13u')).toEqual(['enter']);
    expect(names('\u001b[13;3u')).toEqual(['meta+enter']);
    expect(names('\u001b[9;2u')).toEqual(['shift+tab']);
    expect(names('\u001b[27u')).toEqual(['escape']);
    expect(names('\u001b[99;5u')).toEqual(['ctrl+c']);
    expect(names('\u001b[99;5:1u')).toEqual(['ctrl+c']);
    expect(decodeKeys('\u001b[97u')).toMatchObject([{ name: 'a', text: 'a' }]);
    expect(decodeKeys('\u001b[97;2u')).toMatchObject([{ name: 'A', text: 'A' }]);
    expect(names('\u001b[106;3u')).toEqual(['meta+j']);
  });

  it('decodes modifyOtherKeys', () => {
    expect(names('\u001b[27;5;99~')).toEqual(['ctrl+c']);
    expect(names('\u001b[27;3;13~')).toEqual(['meta+enter']);
  });

  it('treats terminal replies and impossible code points as unknown keys, never throwing', () => {
    expect(decodeKeys('\u001b[?0u')).toMatchObject([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[1114112u')).toMatchObject([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[27;5;99999999~')).toMatchObject([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[55357u')).toMatchObject([{ name: 'unknown' }]);
  });
});

describe('raw input of each key', () => {
  it('keeps the bytes each key came from, so input after an attach key can go to the worker as typed', () => {
    const keys = decodeKeys("\rprintf 'x'\u001b[A\u001b[200~p\u001b[201~\r");
    expect(keys.map((k) => k.raw).join('')).toBe("\rprintf 'x'\u001b[A\u001b[200~p\u001b[201~\r");
    expect(keys[0]).toEqual({ name: 'enter', raw: '\r' });
    expect(keys.find((k) => k.name === 'up')?.raw).toBe('\u001b[A');
    expect(keys.find((k) => k.name === 'paste')?.raw).toBe('\u001b[200~p\u001b[201~');
  });
});
