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
    expect(decodeKeys('aZ?')).toEqual([
      { name: 'a', text: 'a' },
      { name: 'Z', text: 'Z' },
      { name: '?', text: '?' },
    ]);
    expect(decodeKeys(' ')).toEqual([{ name: 'space', text: ' ' }]);
    expect(decodeKeys('é😀')).toEqual([
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
    expect(decodeKeys('\u001b[200~hello\r\nworld\u001b[201~x')).toEqual([
      { name: 'paste', text: 'hello\r\nworld' },
      { name: 'x', text: 'x' },
    ]);
    // A paste cut off at the end of a chunk keeps what arrived.
    expect(decodeKeys('\u001b[200~partial')).toEqual([{ name: 'paste', text: 'partial' }]);
  });

  it('decodes kitty keyboard protocol keys', () => {
    expect(names('\u001b[13u')).toEqual(['enter']);
    expect(names('\u001b[13;3u')).toEqual(['meta+enter']);
    expect(names('\u001b[9;2u')).toEqual(['shift+tab']);
    expect(names('\u001b[27u')).toEqual(['escape']);
    expect(names('\u001b[99;5u')).toEqual(['ctrl+c']);
    expect(names('\u001b[99;5:1u')).toEqual(['ctrl+c']);
    expect(decodeKeys('\u001b[97u')).toEqual([{ name: 'a', text: 'a' }]);
    expect(decodeKeys('\u001b[97;2u')).toEqual([{ name: 'A', text: 'A' }]);
    expect(names('\u001b[106;3u')).toEqual(['meta+j']);
  });

  it('decodes modifyOtherKeys', () => {
    expect(names('\u001b[27;5;99~')).toEqual(['ctrl+c']);
    expect(names('\u001b[27;3;13~')).toEqual(['meta+enter']);
  });

  it('treats terminal replies and impossible code points as unknown keys, never throwing', () => {
    expect(decodeKeys('\u001b[?0u')).toEqual([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[1114112u')).toEqual([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[27;5;99999999~')).toEqual([{ name: 'unknown' }]);
    expect(decodeKeys('\u001b[55357u')).toEqual([{ name: 'unknown' }]);
  });
});
