import v8 from 'node:v8';

/**
 * The V8 flag every workerdeck process runs with: the young generation stays
 * at its initial size (semi-spaces of 1 MB on 64-bit), where V8 would double
 * it under churn and keep it committed. Measured with 32 workers
 * (bench/scale.js): the server's main thread and its mirror thread each held a
 * 16 MB young generation for a few MB of short-lived objects; with the flag
 * the server peaks ~20 MB lower at the same CPU. The TUI client gained
 * 10–15 MB at no cost in CPU once its frames stopped re-painting unchanged
 * rows (scripts/ink-frame-cache.mjs); before that, so much of its per-frame
 * garbage was promoted that its CPU rose, idle too. What outlives the smaller
 * space is promoted, not lost.
 *
 * `--max-semi-space-size` would say the same but is read only when a heap is
 * created, so it cannot be set from inside a running process; the growth
 * factor is read each time V8 grows the space, so setting it this way works
 * for the main thread and for every thread started later (V8's flags are per
 * process).
 */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

/**
 * Keep the young generation of this process's V8 heaps, the main thread's
 * and those of threads started later, at their initial size (see
 * YOUNG_GENERATION_FLAG). bin/workerdeck.js calls it first thing, before the
 * heap has grown. Never throws; a V8 that does not know the flag keeps its
 * default sizing.
 */
export function limitYoungGeneration(): void {
  try {
    v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
  } catch {
    // Memory sizing is an optimisation: the deck runs the same without it.
  }
}
