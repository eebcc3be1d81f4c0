// startup_ms: from exec of `node bin/workerdeck.js` in a PTY to the first full
// frame, i.e. the arrival of the output chunk after which the screen shows
// both the header (`workerdeck`) and the footer key hints (`q quit`).
import path from 'node:path';
import { DeckTerm, median, sleep, tempDir, tempRepo, trackStateDir } from './lib.js';

/** @param {{ runs: number }} o deck starts to time; the median counts */
export async function benchStartup({ runs }) {
  const repo = tempRepo('startup');
  const base = tempDir('startup-state');
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const stateDir = path.join(base, `state-${i}`);
    trackStateDir(stateDir);
    const deck = new DeckTerm({ cwd: repo, stateDir });
    try {
      let frameAt = 0;
      /** @type {Promise<void>} */
      const framed = new Promise((resolve) => {
        const off = deck.onParsed((at) => {
          const screen = deck.screen();
          if (screen.includes('workerdeck') && screen.includes('q quit')) {
            frameAt = at;
            off();
            resolve();
          }
        });
      });
      await Promise.race([framed, deck.waitFor(() => frameAt, 'the first full frame', 20_000)]);
      samples.push(frameAt - deck.startedAt);
      await sleep(100);
    } finally {
      await deck.quit();
    }
  }
  return { startup_ms: median(samples), startup_runs_ms: samples };
}
