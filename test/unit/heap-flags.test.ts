import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Prints the median young-generation size of its main thread and of a worker thread under churn. */
const CHURN = path.resolve(import.meta.dirname, '..', 'fixtures', 'young-generation.mjs');

/** @param args `['limit']` to limit the young generation first, as bin/workerdeck.js does */
function youngGeneration(args: string[]): { main: number; thread: number } {
  const out = execFileSync(process.execPath, [CHURN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as { main: number; thread: number };
}

describe('limitYoungGeneration: every thread keeps a small young generation', () => {
  const MB = 1024 * 1024;

  it('keeps the main thread and a later worker thread (the mirror thread) near their initial new space under churn, where V8 alone grows them', () => {
    const grown = youngGeneration([]);
    // The churn makes V8 grow the space by default: without this the bound below would prove nothing.
    // (measured: 32 MB on the main thread, the 16 MB cap in the thread)
    expect(grown.main).toBeGreaterThan(8 * MB);
    expect(grown.thread).toBeGreaterThan(8 * MB);
    // The initial size: two semi-spaces of 1 MB.
    const limited = youngGeneration(['limit']);
    expect(limited.main).toBeLessThanOrEqual(4 * MB);
    expect(limited.thread).toBeLessThanOrEqual(4 * MB);
  });
});
