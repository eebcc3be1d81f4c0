import { describe, expect, it } from 'vitest';
import { attachOutput } from '../../src/client/attach-output.js';

/** A terminal that takes at most `room` bytes until given more, and keeps what it took. */
function slowTerminal(room: number) {
  const t = {
    room,
    taken: [] as Buffer[],
    writeSome(data: Buffer): Buffer {
      const n = Math.min(t.room, data.length);
      t.room -= n;
      t.taken.push(data.subarray(0, n));
      return data.subarray(n);
    },
    text: () => Buffer.concat(t.taken).toString('utf8'),
  };
  return t;
}

describe('attachOutput: the worker\'s output at the terminal\'s pace', () => {
  it('holds what a full terminal did not take, pauses the channel, and writes it in order, split UTF-8 and all, before resuming', () => {
    const terminal = slowTerminal(5);
    const calls: string[] = [];
    const retries: (() => void)[] = [];
    const out = attachOutput({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, terminal, (_ms, fn) => {
      retries.push(fn);
      return () => undefined;
    });
    out.write('abcd→ef');
    out.write('gh✓');
    expect(calls).toEqual(['pause']);
    // The fifth byte is the first of the arrow's three.
    expect(Buffer.concat(terminal.taken)).toEqual(Buffer.from('abcd→', 'utf8').subarray(0, 5));
    terminal.room = 3;
    retries.shift()!();
    expect(calls).toEqual(['pause']);
    terminal.room = 100;
    retries.shift()!();
    expect(terminal.text()).toBe('abcd→efgh✓');
    expect(calls).toEqual(['pause', 'resume']);
    expect(retries).toHaveLength(0);
    out.write('ij');
    expect(terminal.text()).toBe('abcd→efgh✓ij');
  });

  it('drops what it holds on close (detach) and never resumes the closed channel', () => {
    const terminal = slowTerminal(1);
    const calls: string[] = [];
    let cancelled = 0;
    const out = attachOutput({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, terminal, () => () => void cancelled++);
    out.write('xyz');
    out.close();
    out.write('more');
    expect(cancelled).toBe(1);
    expect(terminal.text()).toBe('x');
    expect(calls).toEqual(['pause']);
  });
});
