import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReleaseAfterFlood, releaseHeap } from '../../src/pty/heap.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('releaseHeap', () => {
  it('runs a full GC without --expose-gc: an unreachable object is collected', async () => {
    let target: object | null = { big: new Array(1000).fill('garbage') };
    const ref = new WeakRef(target);
    target = null;
    // A WeakRef keeps its target for the rest of the job that made it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(releaseHeap()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });
});

describe('ReleaseAfterFlood', () => {
  function rig(minBytes = 1000, quietMs = 2000) {
    vi.useFakeTimers();
    const state = { releases: 0, idle: true };
    const after = new ReleaseAfterFlood(
      () => state.releases++,
      () => state.idle,
      () => Date.now(),
      minBytes,
      quietMs,
    );
    return { after, state };
  }

  it('releases once the output has been quiet for the quiet time after a flood', () => {
    const { after, state } = rig();
    after.output(600);
    vi.advanceTimersByTime(1000);
    after.output(600);
    vi.advanceTimersByTime(1999);
    expect(state.releases).toBe(0);
    vi.advanceTimersByTime(1);
    expect(state.releases).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(state.releases).toBe(1);
  });

  it('does nothing for less output than a flood', () => {
    const { after, state } = rig();
    after.output(999);
    vi.advanceTimersByTime(60_000);
    expect(state.releases).toBe(0);
  });

  it('waits while flow control holds output back', () => {
    const { after, state } = rig();
    after.output(5000);
    state.idle = false;
    vi.advanceTimersByTime(10_000);
    expect(state.releases).toBe(0);
    state.idle = true;
    vi.advanceTimersByTime(2000);
    expect(state.releases).toBe(1);
  });

  it('stops on dispose', () => {
    const { after, state } = rig();
    after.output(5000);
    after.dispose();
    vi.advanceTimersByTime(10_000);
    expect(state.releases).toBe(0);
  });
});
