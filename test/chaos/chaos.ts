/**
 * Shared parts of the chaos suite (test/chaos/*.test.ts): its size, where its
 * figures go, /proc scans for the processes a check started, and a tracker
 * that ends every one of them after each test.
 *
 * Size: `WORKERDECK_CHAOS=full` (what `npm run chaos` sets) runs the issue's
 * full sizes; anything else runs the small size that `npm test` uses.
 * Figures: each check writes `<out>/<check>.json`, where `<out>` is
 * `$WORKERDECK_CHAOS_OUT`, else `<os tmpdir>/workerdeck-chaos-<size>`; `test/chaos/run.js`
 * prints them as a table.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { processGone } from '../helpers/deck.js';
import { DeckTerminal, waitFor } from '../helpers/term.js';

export const CHAOS_SIZE: 'small' | 'full' = process.env.WORKERDECK_CHAOS === 'full' ? 'full' : 'small';
export const FULL = CHAOS_SIZE === 'full';

/** `small` under `npm test`, `full` under `npm run chaos`. */
export function sized<T>(small: T, full: T): T {
  return FULL ? full : small;
}

/** The dir the checks write their figures to. */
export function figuresDir(): string {
  return process.env.WORKERDECK_CHAOS_OUT || path.join(os.tmpdir(), `workerdeck-chaos-${CHAOS_SIZE}`);
}

export type Figure = number | string | boolean | null;

/**
 * Record one check's figures as `<figuresDir>/<check>.json`:
 * `{ check, size, at, figures, rows? }`. Call it before the assertions, so a
 * failing check still reports what it saw. `rows` holds per-case figures (one
 * per exit path, per fault).
 */
export function recordFigures(check: string, figures: Record<string, Figure>, rows?: Record<string, Figure>[]): void {
  const dir = figuresDir();
  mkdirSync(dir, { recursive: true });
  const body = { check, size: CHAOS_SIZE, at: new Date().toISOString(), figures, ...(rows ? { rows } : {}) };
  writeFileSync(path.join(dir, `${check}.json`), `${JSON.stringify(body, null, 2)}\n`);
}

/** A number no other run picks: the tag in `sleep <tag>` that marks one run's worker jobs. */
export function uniqueTag(): number {
  // 7102 first, as the issue names it; then pid and a counter, each of fixed width, make it unique on this machine.
  tagCounter = (tagCounter + 1) % 1000;
  return Number(`7102${String(process.pid % 100_000).padStart(5, '0')}${String(tagCounter).padStart(3, '0')}`);
}
let tagCounter = Math.floor(Math.random() * 500);

interface ProcInfo {
  pid: number;
  /** Process state letter from /proc/<pid>/stat: R, S, D, Z, ... */
  state: string;
  session: number;
  cmdline: string;
}

/** Every process on this machine as /proc shows it now (those that vanish while read are skipped). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(entry), state: fields[0] ?? '?', session: Number(fields[3]), cmdline });
    } catch {
      // Gone while we read it.
    }
  }
  return out;
}

/**
 * Live (non-zombie) processes of a check: those whose command line holds
 * `sleep <tag>`, and those in one of `sessions` whose environment holds
 * `WORKERDECK_STATE_DIR=<stateDir>` (every worker gets it). The environment
 * check matters: pids wrap (pid_max may be 32768), so a session id of a
 * worker that is gone can be another program's by now.
 */
export function leftovers(tags: number[], sessions: number[], stateDir: string): ProcInfo[] {
  const needles = tags.map((t) => new RegExp(`sleep ${t}(?!\\d)`));
  const marker = `WORKERDECK_STATE_DIR=${stateDir}\0`;
  return listProcesses().filter(
    (p) =>
      p.pid !== process.pid &&
      p.state !== 'Z' &&
      p.state !== 'X' &&
      (needles.some((n) => n.test(p.cmdline)) || (sessions.includes(p.session) && environOf(p.pid).includes(marker))),
  );
}

function environOf(pid: number): string {
  try {
    return `${readFileSync(`/proc/${pid}/environ`, 'utf8')}\0`;
  } catch {
    return '';
  }
}

/** The session id of a process (field 6 of /proc/<pid>/stat), or null when it is gone. */
export function sessionOf(pid: number): number | null {
  return listProcesses().find((p) => p.pid === pid)?.session ?? null;
}

/** Resident memory of a process in bytes (`VmRSS`), or null when it is gone. */
export function rssBytes(pid: number): number | null {
  return statusField(pid, 'VmRSS');
}

/** Peak resident memory of a process in bytes (`VmHWM`), or null when it is gone. */
export function peakRssBytes(pid: number): number | null {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const MB = 1024 * 1024;

/**
 * Per test: every deck terminal, child process, worker job tag and worker
 * session a check started. After each test, all of them are SIGKILLed by pid
 * (decks, writers, then whatever is left in the recorded sessions or carries
 * a recorded tag; see `leftovers`), and the test fails if one is still there
 * 10 s later.
 */
export function ownProcesses() {
  const owned = {
    decks: [] as DeckTerminal[],
    children: [] as ChildProcess[],
    tags: [] as number[],
    /** Worker sessions (their leader's pid) and the state dir their deck ran on. */
    sessions: [] as { sid: number; stateDir: string }[],
    deck(d: DeckTerminal): DeckTerminal {
      owned.decks.push(d);
      return d;
    },
    child<C extends ChildProcess>(c: C): C {
      owned.children.push(c);
      return c;
    },
    tag(): number {
      const t = uniqueTag();
      owned.tags.push(t);
      return t;
    },
  };
  afterEach(async () => {
    const pids: number[] = [];
    for (const d of owned.decks.splice(0)) {
      pids.push(d.pty.pid);
      d.kill();
    }
    for (const c of owned.children.splice(0)) {
      if (c.pid === undefined) continue;
      pids.push(c.pid);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    const tags = owned.tags.splice(0);
    const sessions = owned.sessions.splice(0);
    const found = [...leftovers(tags, [], ''), ...sessions.flatMap((s) => leftovers([], [s.sid], s.stateDir))];
    for (const p of found) {
      pids.push(p.pid);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await waitFor(() => pids.every(processGone), `every process the check started to be gone (${pids.join(', ')})`, 10_000);
  });
  return owned;
}

/**
 * Spawn a shell worker through the deck's form: `task` typed as its first
 * line, named `name`, without a worktree (faster; worktrees have their own
 * tests). Resolves once `workerdeck list` shows it running.
 * @returns its id and pid (the pid is also its session id: node-pty starts it with setsid)
 */
export async function spawnShellWorker(
  d: DeckTerminal,
  list: () => { id: string; name: string; status: string; pid: number | null }[],
  task: string,
  name: string,
): Promise<{ id: string; pid: number }> {
  d.type('n');
  await d.waitForText('Spawn a worker');
  d.type(task);
  d.type('\t');
  d.type(name);
  d.type('\t\t');
  await d.waitForText('› Worktree');
  if (!d.screen().includes('[ ] no, run in the current directory')) {
    d.type(' ');
    await d.waitForText('[ ] no, run in the current directory');
  }
  d.type('\r');
  const worker = await waitFor(
    () => list().find((w) => w.name === name && w.status === 'running' && w.pid !== null) ?? false,
    `worker ${name} to run`,
    20_000,
    () => d.screen(),
  );
  if (!worker) throw new Error(`worker ${name} did not start`);
  return { id: worker.id, pid: worker.pid ?? 0 };
}

/** Create FIFOs (named pipes) at `paths`, mode 0600, with one mkfifo(1) run. */
export function mkfifo(paths: string[]): void {
  if (paths.length === 0) return;
  execFileSync('mkfifo', ['-m', '600', ...paths]);
}
