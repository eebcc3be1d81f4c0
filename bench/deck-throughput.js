// Child process for the throughput figure: the real Deck (dist/deck.js) with
// node-pty, a Registry on a temp state dir and a `cat <file>` command preset.
// Prints {"ms": spawn-to-exit with the mirror fully parsed} on stdout.
// Usage: node bench/deck-throughput.js <file> <stateDir> <cwd>
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { ROOT } from './lib.js';

const [file, stateDir, cwd] = process.argv.slice(2);
if (!file || !stateDir || !cwd) throw new Error('usage: node bench/deck-throughput.js <file> <stateDir> <cwd>');
// The built modules, typed as their sources so a change of the Deck's API breaks the type check here.
const dist = (/** @type {string} */ p) => import(path.join(ROOT, 'dist', p));
const [{ Deck }, { spawnNodePty }, { Registry }, { prepareStateDir }, { commandPreset }, { execaGit }] = await Promise.all([
  /** @type {Promise<typeof import('../src/deck.js')>} */ (dist('deck.js')),
  /** @type {Promise<typeof import('../src/pty/node-pty-host.js')>} */ (dist('pty/node-pty-host.js')),
  /** @type {Promise<typeof import('../src/registry/registry.js')>} */ (dist('registry/registry.js')),
  /** @type {Promise<typeof import('../src/registry/state-dir.js')>} */ (dist('registry/state-dir.js')),
  /** @type {Promise<typeof import('../src/agents/shell.js')>} */ (dist('agents/shell.js')),
  /** @type {Promise<typeof import('../src/git/git.js')>} */ (dist('git/git.js')),
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
/** @type {{ exitCode: number | null, signal: number | null } | null} */
let exitInfo = null;
/** @type {Promise<void>} */
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
const id = deck.getState().order[0];
const rows = (id ? await deck.screen(id)?.textRows() : undefined) ?? [];
await deck.shutdown(1000);
process.stdout.write(`${JSON.stringify({ ms, exit: exitInfo, lastRow: rows.filter((r) => r.trim()).at(-1) ?? '' })}\n`);
process.exit(0);
