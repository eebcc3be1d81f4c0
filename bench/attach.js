// attach_mb_s: a TUI attached to a shell worker (through the server) while the
// worker `cat`s a file of realistic output; from Enter on the command to the
// end marker on the outer terminal's screen (a headless xterm in this process,
// which parses every byte, as a real terminal would).
import path from 'node:path';
import { generateOutput } from './gen-output.js';
import { DeckTerm, log, median, now, sleep, tempDir, tempRepo, trackStateDir } from './lib.js';

export const ATTACH_BYTES = 16 * 1024 * 1024;

/** @param {{ reps: number }} o how many times the file is printed; the median counts */
export async function benchAttach({ reps }) {
  const repo = tempRepo('attach', { defaultAgent: 'shell' });
  const dir = tempDir('attach-state');
  const file = path.join(dir, 'output.txt');
  generateOutput(file, ATTACH_BYTES);
  const stateDir = path.join(dir, 'state');
  trackStateDir(stateDir);
  const deck = new DeckTerm({ cwd: repo, stateDir });
  /** @type {number[]} */
  const samples = [];
  try {
    await deck.waitForText('q quit');
    await deck.spawnWorker('', 'sink');
    await deck.waitForText(/sink\s+shell\s+running/);
    deck.type('\r');
    await deck.waitFor(() => !deck.screen().includes('q quit'), 'the attach');
    for (let i = 0; i < reps; i++) {
      const marker = `done-${i}-${Math.random().toString(36).slice(2, 8)}`;
      const t0 = now();
      deck.type(`cat ${file}; echo ${marker.replace('-', '-""')}\r`);
      await deck.waitFor(() => deck.pending === 0 && deck.screen().includes(marker), `the end marker ${marker}`, 120_000, 5);
      samples.push(now() - t0);
      log(`attach: rep ${i + 1}/${reps}: ${Math.round(samples.at(-1) ?? NaN)} ms`);
      await sleep(300);
    }
    deck.type('\u001d');
    await deck.waitForText('q quit');
  } finally {
    await deck.quit();
  }
  return { attach_mb_s: ATTACH_BYTES / 1e6 / (median(samples) / 1000), attach_ms: samples };
}
