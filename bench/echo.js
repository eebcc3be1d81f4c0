// Keystroke echo: attached to a worker running `cat` (through the built deck
// in a PTY), single printable keys at random gaps of 20-60 ms; the time runs
// from writing a key to the deck's stdout until the deck writes its echo.
// First with no other load, then while two other workers flood output; and the
// same idle keys through a tmux client attached to a pane running `cat`, in the
// same kind of outer PTY, for echo_tmux_idle_p50_ms, then again while two background
// windows of that tmux session flood the same line (echo_tmux_p50_ms, echo_tmux_p99_ms);
// and idle through bench/relay, a bare Node client/server relay with the same hops
// (echo_node_relay_p50_ms): the floor of the deck's design in Node.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeckTerm, log, now, percentile, sleep, tempDir, tempRepo, trackStateDir, trackTmuxSocket, firstArrival } from './lib.js';

/** Presets in the temp repo's .workerdeck.json: `cat`, and `flood` (yes with a coloured line). */
export const ECHO_CONFIG = {
  defaultAgent: 'cat',
  presets: {
    cat: { command: 'cat' },
    flood: { command: 'yes', args: ['\u001b[32mcolour\u001b[0m line'] },
  },
};
const KEYS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const stripAnsi = (/** @type {string} */ s) => s.replace(/\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[78=>]/g, '');

/** @param {DeckTerm} deck @param {string} name */
async function attach(deck, name) {
  await deck.waitForText(`─ ${name} · `);
  deck.type('\r');
  await deck.waitFor(() => deck.pending === 0 && !deck.screen().includes('q quit'), `attach to ${name}`);
  await sleep(400);
}

/** @param {DeckTerm} deck */
async function detach(deck) {
  deck.type('\x1d');
  await deck.waitForText('q quit');
}

/**
 * Type `count` keys; returns the echo latencies in ms.
 * @param {DeckTerm} deck
 * @param {number} count
 */
async function typeKeys(deck, count) {
  /** @type {number[]} */
  const samples = [];
  let timeouts = 0;
  for (let i = -3; i < count; i++) {
    const key = KEYS.charAt((i + 3) % KEYS.length);
    const echoed = firstArrival((l) => deck.onData(l), (/** @type {string} */ data) => stripAnsi(data).includes(key));
    const t0 = now();
    deck.type(key);
    const echoedAt = await echoed;
    // The first three keys warm up the path and are not counted.
    if (i >= 0) {
      if (echoedAt) samples.push(echoedAt - t0);
      else timeouts++;
    }
    const gap = 20 + Math.random() * 40;
    const wait = t0 + gap - now();
    if (wait > 0) await sleep(wait);
  }
  if (timeouts > 0) log(`echo: ${timeouts} of ${count} keys were not echoed within 2 s`);
  if (samples.length < count * 0.9) throw new Error(`echo: only ${samples.length} of ${count} keys were echoed`);
  return { samples, timeouts };
}

/**
 * Idle echo through a tmux client: a detached pane at 120x40 runs `cat` (echo off, as the
 * deck's worker has it through its own PTY), a tmux client attaches in the bench's PTY.
 * @param {number} keys
 */
async function tmuxEcho(keys) {
  const socket = `wdbench-echo-${process.pid}`;
  trackTmuxSocket(socket);
  const args = ['-L', socket, '-f', '/dev/null'];
  const base = tempDir('echo-tmux');
  execFileSync('tmux', [...args, 'new-session', '-d', '-s', 'echo', '-x', '120', '-y', '40', 'cat']);
  const client = new DeckTerm({ cwd: base, program: { file: 'tmux', args: [...args, 'attach', '-t', 'echo'] } });
  try {
    await client.waitFor(() => client.pending === 0 && client.screen().includes('[echo]'), 'the tmux client');
    await sleep(400);
    const idle = await typeKeys(client, keys);
    // The same load as the deck's second round: two more panes (background windows) flooding.
    for (let i = 0; i < 2; i++) execFileSync('tmux', [...args, 'new-window', '-d', '-t', 'echo', 'yes', '\u001b[32mcolour\u001b[0m line']);
    await sleep(1000);
    const loaded = await typeKeys(client, keys);
    return { idle, loaded };
  } finally {
    client.kill();
    try {
      execFileSync('tmux', [...args, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // gone
    }
  }
}

/**
 * Idle echo through the floor of any Node client/server pair: bench/relay/client.js in the
 * bench's PTY, connected to bench/relay/server.js, which relays to a PTY running `cat`, with
 * no other work. The deck's attach has the same hops; this is what Node alone costs on them.
 * @param {number} keys
 */
async function relayEcho(keys) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'relay');
  const socket = path.join(tempDir('echo-relay'), 'relay.sock');
  const server = spawn(process.execPath, [path.join(dir, 'server.js'), socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.once('data', resolve);
      server.once('exit', () => reject(new Error('echo: the relay server exited')));
    });
    const client = new DeckTerm({ cwd: dir, program: { file: process.execPath, args: [path.join(dir, 'client.js'), socket] } });
    try {
      await client.waitForText('READY');
      await sleep(400);
      return await typeKeys(client, keys);
    } finally {
      client.kill();
    }
  } finally {
    server.kill('SIGKILL');
  }
}

/** @param {{ keys: number }} o keys typed idle, then again under load */
export async function benchEcho({ keys }) {
  const tmux = await tmuxEcho(keys);
  log(`echo: tmux client idle p50 ${percentile(tmux.idle.samples, 50).toFixed(2)} ms, with 2 panes flooding p99 ${percentile(tmux.loaded.samples, 99).toFixed(2)} ms`);
  const relay = await relayEcho(keys);
  log(`echo: Node relay floor idle p50 ${percentile(relay.samples, 50).toFixed(2)} ms`);
  const repo = tempRepo('echo', ECHO_CONFIG);
  const stateDir = path.join(tempDir('echo-state'), 'state');
  trackStateDir(stateDir);
  const deck = new DeckTerm({ cwd: repo, stateDir });
  try {
    await deck.waitForText('q quit');
    await deck.spawnWorker('type into cat', 'echo-cat');
    await deck.waitForText(/echo-cat\s+cat\s+running/);
    await sleep(500);

    await attach(deck, 'echo-cat');
    const idle = await typeKeys(deck, keys);
    await detach(deck);
    log(`echo: idle p50 ${percentile(idle.samples, 50).toFixed(2)} ms`);

    await deck.spawnWorker('flood', 'flood-1', 'flood');
    await deck.spawnWorker('flood', 'flood-2', 'flood');
    await deck.waitForText(/flood-2\s+flood\s+running/);
    for (let i = 0; i < 5 && !deck.screen().includes('─ echo-cat · '); i++) {
      deck.type('k');
      await sleep(200);
    }
    await sleep(1000);
    await attach(deck, 'echo-cat');
    const loaded = await typeKeys(deck, keys);
    await detach(deck);
    return {
      echo_idle_p50_ms: percentile(idle.samples, 50),
      echo_idle_p99_ms: percentile(idle.samples, 99),
      echo_p50_ms: percentile(loaded.samples, 50),
      echo_p99_ms: percentile(loaded.samples, 99),
      echo_tmux_idle_p50_ms: percentile(tmux.idle.samples, 50),
      echo_idle_vs_tmux: percentile(idle.samples, 50) / percentile(tmux.idle.samples, 50),
      echo_node_relay_p50_ms: percentile(relay.samples, 50),
      echo_node_relay_vs_tmux: percentile(relay.samples, 50) / percentile(tmux.idle.samples, 50),
      echo_tmux_p50_ms: percentile(tmux.loaded.samples, 50),
      echo_tmux_p99_ms: percentile(tmux.loaded.samples, 99),
      echo_timeouts: idle.timeouts + loaded.timeouts + tmux.idle.timeouts + tmux.loaded.timeouts + relay.timeouts,
    };
  } finally {
    await deck.quit();
  }
}
