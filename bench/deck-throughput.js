// Child process for the throughput figure: the real Deck (dist/deck.js) with
// node-pty, a Registry on a temp state dir and a `cat <file>` command preset.
// Prints {"ms": spawn-to-exit with the mirror fully parsed} on stdout.
// Usage: node bench/deck-throughput.js <file> <stateDir> <cwd>
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ROOT } from './lib.js';

const [file, stateDir, cwd] = process.argv.slice(2);
const dist = (p) => import(path.join(ROOT, 'dist', p));
const [{ Deck }, { spawnNodePty }, { Registry }, { prepareStateDir }, { commandPreset }, { execaGit }] = await Promise.all([
  dist('deck.js'),
  dist('pty/node-pty-host.js'),
  dist('registry/registry.js'),
  dist('registry/state-dir.js'),
  dist('agents/shell.js'),
  dist('git/git.js'),
]);

const layout = await prepareStateDir(stateDir);
const registry = new Registry(layout.stateFile, layout.eventsFile, () => undefined);
const presets = new Map([['cat', commandPreset('cat', { command: 'cat', args: [file] })]]);
const deck = new Deck({
  spawner: spawnNodePty,
  git: execaGit(),
  layout,
  registry,
  presets,
  repo: null,
  cwd,
  env: process.env,
  launcher: path.join(layout.binDir, 'workerdeck'),
  size: { cols: 120, rows: 40 },
});
let exitedAt = 0;
let exitInfo = null;
const exited = new Promise((resolve) => {
  deck.subscribe((_state, event) => {
    if (event.type === 'worker-exited') {
      exitedAt = performance.now();
      exitInfo = { exitCode: event.exitCode, signal: event.signal };
      resolve();
    }
  });
});
const t0 = performance.now();
await deck.spawn({ task: '', name: 'cat', agent: 'cat', worktree: false, base: '', skipPermissions: false });
await exited;
const ms = exitedAt - t0;
// textRows is sync on an inline mirror and async on a pooled one: await covers both.
const rows = (await deck.screen(deck.getState().order[0])?.textRows?.()) ?? [];
await deck.shutdown(1000);
process.stdout.write(`${JSON.stringify({ ms, exit: exitInfo, lastRow: Array.isArray(rows) ? (rows.filter((r) => r.trim()).at(-1) ?? '') : '' })}\n`);
process.exit(0);
