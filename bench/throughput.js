// Throughput: a 64 MiB file of realistic terminal output `cat`ed in a deck
// worker (the real Deck class, in a child process) and in a detached tmux
// pane at 120x40 on a private socket, in the same run.
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateOutput } from './gen-output.js';
import { log, median, now, ROOT, tempDir, trackTmuxSocket } from './lib.js';

const run = promisify(execFile);
export const THROUGHPUT_BYTES = 64 * 1024 * 1024;

/**
 * One `cat` of `file` in a deck worker (bench/deck-throughput.js in a child process).
 * @param {string} file
 * @param {string} dir
 * @param {number | string} i names the run's state dir
 * @returns {Promise<number>} ms from spawn to exit, mirror parsed
 */
async function deckOnce(file, dir, i) {
  const stateDir = path.join(dir, `state-${i}`);
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'bench', 'deck-throughput.js'), file, stateDir, dir], {
    timeout: 120_000,
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 20,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  if (result.exit?.exitCode !== 0) throw new Error(`the deck's cat worker exited with ${JSON.stringify(result.exit)}`);
  return result.ms;
}

/**
 * One `cat` of `file` in a detached tmux pane at 120x40.
 * @param {string} file
 * @param {string} socket tmux -L name
 * @returns {Promise<number>} ms from new-session to the pane's command exiting
 */
async function tmuxOnce(file, socket) {
  const tmux = (/** @type {string[]} */ ...args) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args], { timeout: 120_000, killSignal: 'SIGKILL' });
  const quote = (/** @type {string} */ s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const t0 = now();
  await tmux('new-session', '-d', '-x', '120', '-y', '40', `cat ${quote(file)}; tmux -L ${socket} wait-for -S done`);
  await tmux('wait-for', 'done');
  const ms = now() - t0;
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // already gone once the pane's command exited
  }
  return ms;
}

/** @param {{ reps: number }} o runs of each; the medians count */
export async function benchThroughput({ reps }) {
  const dir = tempDir('throughput');
  const file = path.join(dir, 'output.txt');
  const t = now();
  generateOutput(file, THROUGHPUT_BYTES);
  log(`throughput: generated ${THROUGHPUT_BYTES / 1048576} MiB in ${Math.round(now() - t)} ms`);
  const socket = `wdbench-${process.pid}`;
  trackTmuxSocket(socket);
  /** @type {number[]} */
  const deck = [];
  /** @type {number[]} */
  const tmux = [];
  // Warm the tmux binary and the deck's modules once, untimed, on a small file.
  const warm = path.join(dir, 'warm.txt');
  generateOutput(warm, 1 << 20, 7);
  await tmuxOnce(warm, socket);
  await deckOnce(warm, dir, 'warm');
  for (let i = 0; i < reps; i++) {
    const tmuxMs = await tmuxOnce(file, socket);
    const deckMs = await deckOnce(file, dir, i);
    tmux.push(tmuxMs);
    deck.push(deckMs);
    log(`throughput: rep ${i + 1}/${reps}: tmux ${Math.round(tmuxMs)} ms, deck ${Math.round(deckMs)} ms`);
  }
  const deckMs = median(deck);
  const tmuxMs = median(tmux);
  return {
    throughput_mb_s: THROUGHPUT_BYTES / 1e6 / (deckMs / 1000),
    throughput_vs_tmux: tmuxMs / deckMs,
    tmux_mb_s: THROUGHPUT_BYTES / 1e6 / (tmuxMs / 1000),
    deck_ms: deck,
    tmux_ms: tmux,
  };
}
