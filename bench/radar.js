// radar32_cpu_s: the conflict radar's CPU per triggering event at 32 workers.
// A temp repo of 300 files gets 32 worktrees (the deck's layout), each worker
// changes 3 files, uncommitted, and every 8th pair of neighbours changes the
// same lines of one file (a conflict). After a first full run, one worker's
// file changes and the radar is triggered for it, as a completion would; the
// CPU of that run is the radar's own (this process, user + system) plus every
// git it ran (the children's user + system from /proc/self/stat). The radar
// and the git code are the built ones (dist/).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempRepo } from './lib.js';

const dist = (/** @type {string} */ p) => import(path.join(ROOT, 'dist', p));

/** CPU seconds of this process and of its waited-for children so far (Linux). */
function cpuSeconds() {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  const ticks = Number(fields[13]) + Number(fields[14]);
  return (own.user + own.system) / 1e6 + ticks / 100;
}

/** @param {{ workers: number, events: number }} o */
export async function benchRadar({ workers, events }) {
  const [{ ConflictRadar }, { execaGit }] = await Promise.all([
    /** @type {Promise<typeof import('../src/server/radar.js')>} */ (dist('server/radar.js')),
    /** @type {Promise<typeof import('../src/git/git.js')>} */ (dist('git/git.js')),
  ]);
  const repo = tempRepo('radar');
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  for (let i = 0; i < 300; i++) writeFileSync(path.join(repo, `f${i}.txt`), `${Array.from({ length: 40 }, (_, l) => `file ${i} line ${l}`).join('\n')}\n`);
  git('add', '.');
  git('commit', '-q', '-m', 'files');
  /** @type {Record<string, import('../src/core/worker.js').WorkerRecord>} */
  const records = {};
  for (let w = 0; w < workers; w++) {
    const id = w.toString(16).padStart(4, '0');
    const dir = path.join(repo, '.worktrees', `w${w}-${id}`);
    git('worktree', 'add', '-q', '-b', `worker/w${w}-${id}`, dir, 'main');
    for (const f of [w * 3, w * 3 + 1, w * 3 + 2]) writeFileSync(path.join(dir, `f${f}.txt`), `changed by worker ${w}\n`);
    // Every 8th worker and its neighbour change the same line of one shared file.
    if (w % 8 === 1) writeFileSync(path.join(dir, 'f299.txt'), `worker ${w} owns this\n`);
    if (w % 8 === 2) writeFileSync(path.join(dir, 'f299.txt'), `no, worker ${w} does\n`);
    records[id] = /** @type {import('../src/core/worker.js').WorkerRecord} */ ({ id, name: `w${w}`, worktree: dir, base: 'main', branch: `worker/w${w}-${id}` });
  }
  let dispatched = 0;
  // The radar reads the deck's git, its workers, and dispatches events: the rest of a Deck it does not touch.
  const deck = /** @type {import('../src/deck.js').Deck} */ (
    /** @type {unknown} */ ({
      git: execaGit(),
      getState: () => ({ workers: records }),
      dispatch: (/** @type {{ type: string, id: string, conflicts: unknown }} */ e) => {
        dispatched++;
        const r = records[e.id];
        if (r) records[e.id] = { ...r, conflicts: /** @type {never} */ (e.conflicts) };
      },
    })
  );
  const radar = new ConflictRadar(deck);
  let before = cpuSeconds();
  radar.trigger();
  await radar.idle();
  const fullCpu = cpuSeconds() - before;
  const conflicted = Object.values(records).filter((r) => (r.conflicts ?? []).length > 0).length;
  /** @type {number[]} */
  const perEvent = [];
  for (let e = 0; e < events; e++) {
    const w = (e * 5) % workers;
    const id = w.toString(16).padStart(4, '0');
    writeFileSync(path.join(records[id]?.worktree ?? '', `f${w * 3}.txt`), `changed again by worker ${w}, event ${e}\n`);
    before = cpuSeconds();
    radar.trigger([id]);
    await radar.idle();
    perEvent.push(cpuSeconds() - before);
  }
  const sorted = [...perEvent].sort((a, b) => a - b);
  return {
    radar32_cpu_s: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    radar32_cpu_max_s: sorted.at(-1) ?? NaN,
    radar32_full_cpu_s: fullCpu,
    radar32_conflicted: conflicted,
    radar32_events: dispatched,
  };
}
