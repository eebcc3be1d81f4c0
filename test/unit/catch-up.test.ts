import { describe, expect, it } from 'vitest';
import { CatchUp } from '../../src/server/catch-up.js';

/** A socket that says how much it holds; `drained()` empties it and tells whoever waits. */
function fakeSocket() {
  const s = {
    writableLength: 0,
    destroyed: false,
    written: [] as string[],
    waiting: [] as (() => void)[],
    write(data: string) {
      s.written.push(data);
      s.writableLength += data.length;
      return false;
    },
    once(_event: 'drain', fn: () => void) {
      s.waiting.push(fn);
    },
    drained() {
      s.writableLength = 0;
      for (const fn of s.waiting.splice(0)) fn();
    },
  };
  return s;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('CatchUp: a client behind an attached worker is painted at the screen\'s pace', () => {
  it('paints once drained, again per frame while the worker prints, never more often, and resumes after a quiet frame', async () => {
    const socket = fakeSocket();
    socket.writableLength = 300_000;
    let screen = 1;
    let resumed = 0;
    const frames: (() => void)[] = [];
    const catchUp = new CatchUp({
      socket,
      frameMs: 40,
      paint: async () => `paint-${screen++}`,
      resume: () => resumed++,
      schedule: (_ms, fn) => {
        frames.push(fn);
        return setTimeout(() => undefined, 0);
      },
    });
    catchUp.start();
    await settle();
    expect(socket.written).toEqual([]);
    socket.drained();
    await settle();
    expect(socket.written).toEqual(['paint-1']);
    // Output during the frame: many chunks, one paint, and only once the socket drained.
    catchUp.output();
    catchUp.output();
    frames.shift()!();
    await settle();
    expect(socket.written).toEqual(['paint-1']);
    socket.drained();
    await settle();
    expect(socket.written).toEqual(['paint-1', 'paint-2']);
    // A frame with no output: back to raw passthrough, once, and no more paints.
    socket.drained();
    frames.shift()!();
    await settle();
    expect(resumed).toBe(1);
    expect(socket.written).toEqual(['paint-1', 'paint-2']);
    expect(frames).toHaveLength(0);
  });

  it('paints and resumes nothing once stopped (detached)', async () => {
    const socket = fakeSocket();
    let resumed = 0;
    const catchUp = new CatchUp({ socket, frameMs: 40, paint: async () => 'paint', resume: () => resumed++ });
    socket.writableLength = 10;
    catchUp.start();
    catchUp.stop();
    socket.drained();
    await settle();
    expect(socket.written).toEqual([]);
    expect(resumed).toBe(0);
  });
});
