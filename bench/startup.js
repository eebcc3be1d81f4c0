// startup_ms: from exec of `node bin/workerdeck.js` in a PTY to the first full
// frame, i.e. the arrival of the output chunk after which the screen shows
// both the header (`workerdeck`) and the footer key hints (`q quit`), when the
// state dir's server already runs. startup_cold_ms: the same when the client
// must start the server first.
import path from 'node:path';
import { DeckTerm, killServer, median, sleep, tempDir, tempRepo, trackStateDir } from './lib.js';

/**
 * Open the TUI on a state dir and time its first full frame, in ms; leaves the server running.
 * @param {string} repo @param {string} stateDir
 */
export async function firstFrame(repo, stateDir) {
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
    await sleep(100);
    return frameAt - deck.startedAt;
  } finally {
    await deck.detach();
  }
}

/** @param {{ runs: number }} o deck starts to time; the median counts */
export async function benchStartup({ runs }) {
  const repo = tempRepo('startup');
  const base = tempDir('startup-state');
  /** @type {number[]} */
  const warm = [];
  /** @type {number[]} */
  const cold = [];
  for (let i = 0; i < runs; i++) {
    const stateDir = path.join(base, `state-${i}`);
    trackStateDir(stateDir);
    try {
      cold.push(await firstFrame(repo, stateDir));
      warm.push(await firstFrame(repo, stateDir));
    } finally {
      killServer(stateDir);
    }
  }
  return { startup_ms: median(warm), startup_cold_ms: median(cold), startup_runs_ms: warm, startup_cold_runs_ms: cold };
}
