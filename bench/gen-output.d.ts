/**
 * Write `bytes` bytes of generated terminal output (coloured log lines, wrapping lines,
 * diffs, progress bars, boxes drawn with cursor moves, UTF-8) to `file`, deterministic for a `seed`.
 * @returns the bytes written
 */
export function generateOutput(file: string, bytes: number, seed?: number): number;

/** A seeded PRNG (mulberry32): each call gives a number in [0, 1). */
export function rng(seed: number): () => number;
