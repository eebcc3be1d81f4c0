// Child process for the flood figures: the real Deck (dist/deck.js) with
// node-pty and the mirror thread, N shell workers each typed `cat <file>`
// (files of realistic coloured output, see gen-output.js). Samples this
// process's memory (RSS includes the mirror thread) every 250 ms from the
// first spawn until `afterMs` after the output stopped, and prints one JSON
// line on stdout: { peak, stopped, after, samples, ... } in MB.
// Usage: node [--expose-gc] bench/deck-flood.js <stateDir> <cwd> <afterMs> <file>...
// With --expose-gc a forced full GC is run at the end, after the `after`
// sample, to tell garbage from live memory (figures then include `gcRss`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { ROOT } from './lib.js';

const [stateDir, cwd, afterArg, ...files] = process.argv.slice(2);
if (!stateDir || !cwd) throw new Error('usage: node bench/deck-flood.js <stateDir> <cwd> <afterMs> <file>...');
const afterMs = Number(afterArg);
// The built modules, typed as their sources so a change of the Deck's API breaks the type check here.
const dist = (/** @type {string} */ p) => import(path.join(ROOT, 'dist', p));
const [{ Deck }, { spawnNodePty }, { Registry }, { prepareStateDir }, { shellPreset }, { execaGit }] = await Promise.all([
  /** @type {Promise<typeof import('../src/deck.js')>} */ (dist('deck.js')),
  /** @type {Promise<typeof import('../src/pty/node-pty-host.js')>} */ (dist('pty/node-pty-host.js')),
  /** @type {Promise<typeof import('../src/registry/registry.js')>} */ (dist('registry/registry.js')),
  /** @type {Promise<typeof import('../src/registry/state-dir.js')>} */ (dist('registry/state-dir.js')),
  /** @type {Promise<typeof import('../src/agents/shell.js')>} */ (dist('agents/shell.js')),
  /** @type {Promise<typeof import('../src/git/git.js')>} */ (dist('git/git.js')),
]);

const MB = 1024 * 1024;
const mb = (/** @type {number} */ bytes) => Math.round((bytes / MB) * 10) / 10;

/**
 * @param {string} field a /proc/self/status field, e.g. VmHWM
 * @returns {number} its value in bytes, NaN when absent
 */
function procStatus(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const layout = await prepareStateDir(stateDir);
const registry = new Registry(layout.stateFile, layout.eventsFile, () => undefined);
// An interactive shell, as a shell worker is; `--norc` keeps the user's rc files out of the figures.
const presets = new Map([['sh', shellPreset({ command: 'bash', args: ['--norc', '--noprofile', '-i'] })]]);
/** @type {string[]} */
const warnings = [];
const deck = new Deck({
  spawner: spawnNodePty,
  git: execaGit(),
  layout,
  registry,
  presets,
  repo: null,
  cwd,
  env: { ...process.env, PS1: '$ ', HISTFILE: '/dev/null' },
  launcher: path.join(layout.binDir, 'workerdeck'),
  size: { cols: 120, rows: 40 },
});
deck.subscribe((_state, event) => {
  if (event.type === 'warning') warnings.push(event.text);
});

/** The mirror thread, when the deck made one (a private field: read for the figures only). */
const mirrorThread = () =>
  /** @type {{ pool: { worker: import('node:worker_threads').Worker } | null }} */ (/** @type {unknown} */ (deck)).pool?.worker ?? null;

/**
 * One memory sample, sizes in MB (thread figures null when there is no mirror thread).
 * @typedef {{ t: number, phase: string, rss: number, heapUsed: number, heapTotal: number, external: number,
 *   arrayBuffers: number, threadHeapUsed: number | null, threadHeapTotal: number | null, threadExternal: number | null,
 *   flow: import('../src/pty/flow.js').FlowStats | null }} Sample
 */
/** @type {Sample[]} */
const samples = [];
const t0 = performance.now();
/**
 * @param {string} phase
 * @returns {Promise<Sample>}
 */
async function sample(phase) {
  const m = process.memoryUsage();
  const thread = mirrorThread();
  let threadHeap = null;
  try {
    threadHeap = thread?.getHeapStatistics ? await thread.getHeapStatistics() : null;
  } catch {
    threadHeap = null;
  }
  /** @type {Sample} */
  const s = {
    t: Math.round(performance.now() - t0),
    phase,
    rss: mb(m.rss),
    heapUsed: mb(m.heapUsed),
    heapTotal: mb(m.heapTotal),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
    threadHeapUsed: threadHeap ? mb(threadHeap.used_heap_size) : null,
    threadHeapTotal: threadHeap ? mb(threadHeap.total_heap_size) : null,
    threadExternal: threadHeap ? mb(threadHeap.external_memory) : null,
    // Bytes held back by flow control (decks that have it).
    flow: deck.flowStats?.() ?? null,
  };
  samples.push(s);
  return s;
}

// Every byte of output must reach the mirror: a marker printed after `cat`
// (spelled so that the echoed command line does not contain it) ends each flood.
// CAN and SGR 0 first: a file cut off inside an escape sequence must not eat the marker.
const MARKER = 'FLOOD-DONE';
const done = new Map();
const ids = [];
let phase = 'flood';
const sampler = setInterval(() => void sample(phase), 250);
for (let i = 0; i < files.length; i++) {
  const record = await deck.spawn({
    task: `cat '${files[i]}'; printf '\\030\\033[0m\\nFLOOD-%s\\n' DONE`,
    name: `flood-${i + 1}`,
    agent: 'sh',
    worktree: false,
    base: '',
    skipPermissions: false,
  });
  ids.push(record.id);
  let tail = '';
  const finished = new Promise((resolve) => {
    const off = deck.tap(record.id, (data) => {
      tail = (tail + data).slice(-200);
      if (tail.includes(MARKER)) {
        off();
        resolve(performance.now());
      }
    });
  });
  done.set(record.id, finished);
}
await Promise.all(done.values());
// The output stopped once every mirror has parsed it all.
await Promise.all(ids.map((id) => deck.screen(id)?.flush()));
const stoppedAt = performance.now();
phase = 'after';
const stopped = await sample('stopped');
const peakSample = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
await new Promise((resolve) => setTimeout(resolve, afterMs));
clearInterval(sampler);
const after = await sample('after');
let gcRss = null;
if (typeof globalThis.gc === 'function') {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gcRss = (await sample('after-gc')).rss;
}
const rows = await Promise.all(ids.map(async (id) => (await deck.screen(id)?.textRows()) ?? []));
const lastRows = rows.map((r) => r.filter((l) => l.trim()).slice(-2));
await deck.shutdown(1000);
process.stdout.write(
  `${JSON.stringify({
    workers: files.length,
    floodMs: Math.round(stoppedAt - t0),
    peakRss: mb(Math.max(procStatus('VmHWM'), peakSample.rss * MB)),
    peakSample,
    stopped,
    after,
    gcRss,
    v8: { heapLimit: mb(v8.getHeapStatistics().heap_size_limit) },
    lastRows,
    warnings,
    samples,
  })}\n`,
);
process.exit(0);
