import { describe, expect, it } from 'vitest';
import { trimHeap } from '../../src/client/heap-trim.js';

describe('trimHeap: the TUI client collects after its heap grew, not on a beat', () => {
  it('collects once the heap grew 40 MB past its size after the last collection, and not while it stays below', () => {
    const MB = 1024 * 1024;
    let heap = 50 * MB;
    let collections = 0;
    let tick: () => void = () => undefined;
    const stop = trimHeap({
      heapSize: () => heap,
      release: () => {
        collections++;
        heap = 60 * MB;
        return true;
      },
      every: (_ms, fn) => {
        tick = fn;
        return () => (tick = () => undefined);
      },
    });
    heap = 89 * MB;
    tick();
    expect(collections).toBe(0);
    heap = 91 * MB;
    tick();
    expect(collections).toBe(1);
    // The new base is the size after the collection (60 MB): 99 MB is not enough growth.
    heap = 99 * MB;
    tick();
    expect(collections).toBe(1);
    heap = 101 * MB;
    tick();
    expect(collections).toBe(2);
    stop();
    heap = 500 * MB;
    tick();
    expect(collections).toBe(2);
  });

  it('stops asking a V8 that refuses to collect', () => {
    let asked = 0;
    let stopped = false;
    let tick: () => void = () => undefined;
    trimHeap({
      heapSize: () => (asked === 0 ? 0 : 1e12),
      release: () => {
        asked++;
        return false;
      },
      every: (_ms, fn) => {
        tick = fn;
        return () => (stopped = true);
      },
    });
    asked = 1;
    tick();
    expect(asked).toBe(2);
    expect(stopped).toBe(true);
  });
});
