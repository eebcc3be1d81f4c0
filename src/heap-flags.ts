import v8 from 'node:v8';

/**
 * The V8 flag the server runs with: the young generation stays at its initial
 * size (semi-spaces of 1 MB on 64-bit), where V8 would double it under churn
 * and keep it committed. Measured with 32 workers (bench/scale.js): the
 * server's main thread and its mirror thread each held a 16 MB young
 * generation for a few MB of short-lived objects; with the flag the server
 * peaks ~20 MB lower at the same CPU. What outlives the smaller space is
 * promoted, not lost.
 *
 * Not for the TUI client: it allocates ~60 MB/s while 32 workers print (Ink
 * turning frames into styled cells), and with 1 MB semi-spaces so much of
 * that was promoted that its CPU rose, idle too (0.013 → 0.027 cores).
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
 * YOUNG_GENERATION_FLAG). Call it before the heap has grown. Never throws; a
 * V8 that does not know the flag keeps its default sizing.
 */
export function limitYoungGeneration(): void {
  try {
    v8.setFlagsFromString(YOUNG_GENERATION_FLAG);
  } catch {
    // Memory sizing is an optimisation: the deck runs the same without it.
  }
}

/**
 * bin/workerdeck.js calls this first thing with its arguments (after `node
 * bin/workerdeck.js`): for `serve …`, the server, as clients start it and as
 * the README shows it, the young generation is limited; any other command
 * keeps V8's sizing.
 * @returns true when it limited the young generation
 */
export function limitYoungGenerationFor(args: readonly string[]): boolean {
  if (args[0] !== 'serve') return false;
  limitYoungGeneration();
  return true;
}
