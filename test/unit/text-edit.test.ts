import { describe, expect, it } from 'vitest';
import { editAt, withCursor } from '../../src/ui/text-edit.js';

const k = (name: string, text?: string) => (text === undefined ? { name } : { name, text });

describe('editAt', () => {
  it('moves, inserts and deletes at the cursor, in code points', () => {
    expect(editAt('héllo', undefined, k('left'))).toEqual({ text: 'héllo', cursor: 4 });
    expect(editAt('héllo', 0, k('left'))).toEqual({ text: 'héllo', cursor: 0 });
    expect(editAt('héllo', 5, k('right'))).toEqual({ text: 'héllo', cursor: 5 });
    expect(editAt('héllo', 2, k('x', 'x'))).toEqual({ text: 'héxllo', cursor: 3 });
    expect(editAt('héllo', 2, k('backspace'))).toEqual({ text: 'hllo', cursor: 1 });
    expect(editAt('héllo', 0, k('backspace'))).toEqual({ text: 'héllo', cursor: 0 });
    expect(editAt('héllo', 1, k('delete'))).toEqual({ text: 'hllo', cursor: 1 });
    expect(editAt('a 🐙 b', 3, k('backspace'))).toEqual({ text: 'a  b', cursor: 2 });
    expect(editAt('abc', 1, k('home'))).toEqual({ text: 'abc', cursor: 0 });
    expect(editAt('abc', 1, k('ctrl+e'))).toEqual({ text: 'abc', cursor: 3 });
    expect(editAt('fix the login', 8, k('ctrl+w'))).toEqual({ text: 'fix login', cursor: 4 });
    expect(editAt('fix the login', 8, k('ctrl+u'))).toEqual({ text: 'login', cursor: 0 });
    expect(editAt('fix the login', 8, k('ctrl+k'))).toEqual({ text: 'fix the ', cursor: 8 });
    expect(editAt('ab', 1, k('space'))).toEqual({ text: 'a b', cursor: 2 });
    expect(editAt('ab', 1, k('paste', 'x\ny\u001b[31m'))).toEqual({ text: 'ax\nyb', cursor: 4 });
    expect(editAt('ab', 1, k('paste', 'x\ny'), false)).toEqual({ text: 'ax yb', cursor: 4 });
    expect(editAt('ab', 1, k('tab'))).toBeNull();
  });

  it('withCursor puts the mark at the cursor, or at the end', () => {
    expect(withCursor('abc', 1)).toBe('a▏bc');
    expect(withCursor('abc', undefined)).toBe('abc▏');
  });
});
