import { describe, expect, it } from 'vitest';
import { FocusMode } from '../../src/core/focus-mode.js';

describe('FocusMode', () => {
  it('follows DECSET 1004 in a program\'s output: the last switch wins, in any parameter list', () => {
    const f = new FocusMode();
    expect(f.on).toBe(false);
    f.push('text \u001b[?1004h more');
    expect(f.on).toBe(true);
    f.push('\u001b[?2004;1004l');
    expect(f.on).toBe(false);
    f.push('\u001b[?1049h\u001b[?1004;1h');
    expect(f.on).toBe(true);
    // Other modes and look-alikes leave it alone.
    f.push('\u001b[?10040l\u001b[?104l\u001b[1004l');
    expect(f.on).toBe(true);
  });

  it('reads a switch cut across chunks at any byte', () => {
    const seq = 'abc\u001b[?1004h';
    for (let cut = 1; cut < seq.length; cut++) {
      const f = new FocusMode();
      f.push(seq.slice(0, cut));
      f.push(seq.slice(cut));
      expect([cut, f.on]).toEqual([cut, true]);
    }
  });
});
