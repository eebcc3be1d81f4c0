import v8 from 'node:v8';
import { releaseHeap } from '../gc.js';

/** How often the TUI client looks at its heap, in ms: one cheap call, no redraw. */
const CHECK_MS = 5000;
/** Heap growth since the last collection (bytes) after which the client collects. */
const GROWTH_BYTES = 40 * 1024 * 1024;

/**
 * Keep the TUI client's memory near what it holds. V8 grows a heap that churns
 * (32 workers spawned, their events reduced and drawn) and keeps the dead pages:
 * measured with 32 workers, the client sat at 180 MB of RSS for 45 MB of live
 * objects, and 128 MB after one full collection. So every `CHECK_MS` the client
 * compares its V8 heap size (`v8.getHeapStatistics().total_heap_size`, bytes)
 * with the size after its last collection, and past `GROWTH_BYTES` more runs
 * `releaseHeap` (a full, synchronous collection that returns free pages; some
 * tens of ms, at most once per check). An idle client's heap does not grow, so it
 * never collects. The timer does not keep the process alive.
 * @param o seams for tests: the heap size in bytes, the collection (false: none
 *   could run), and the timer
 * @returns stop
 */
export function trimHeap(
  o: {
    heapSize?: () => number;
    release?: () => boolean;
    every?: (ms: number, fn: () => void) => () => void;
  } = {},
): () => void {
  const heapSize = o.heapSize ?? (() => v8.getHeapStatistics().total_heap_size);
  const release = o.release ?? releaseHeap;
  const every =
    o.every ??
    ((ms, fn) => {
      const timer = setInterval(fn, ms);
      timer.unref();
      return () => clearInterval(timer);
    });
  let base = heapSize();
  let stop = (): void => undefined;
  stop = every(CHECK_MS, () => {
    if (heapSize() - base < GROWTH_BYTES) return;
    // A V8 that refuses a collection is not asked again.
    if (!release()) return stop();
    base = heapSize();
  });
  return () => stop();
}
