// Shared helpers for `npm run bench`: the deck in a PTY, temp repos, /proc
// sampling, statistics and cleanup. Plain ESM so the bench needs no compile.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node-pty';
import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'workerdeck.js');
export const now = () => performance.now();
export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Everything the bench started, so `cleanup` can end it. */
const started = {
  /** @type {Set<DeckTerm>} */
  ptys: new Set(),
  /** @type {Set<string>} */
  tmuxSockets: new Set(),
  /** @type {Set<string>} */
  stateDirs: new Set(),
  /** @type {Set<string>} */
  tempDirs: new Set(),
};

/**
 * A worker as state.json records it (the fields the bench reads).
 * @typedef {{ id: string, name: string, status: string, pid?: number }} StateWorker
 */

/**
 * Log progress to stderr (stdout carries only the table or the JSON).
 * @param {...unknown} args
 */
export function log(...args) {
  process.stderr.write(`[bench] ${args.join(' ')}\n`);
}

/** A new temp dir, removed by `cleanup`. @param {string} prefix */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `wdbench-${prefix}-`));
  started.tempDirs.add(dir);
  return dir;
}

/**
 * A git repo with one commit and an optional .workerdeck.json.
 * @param {string} prefix
 * @param {object} [config] written as .workerdeck.json
 */
export function tempRepo(prefix, config) {
  const dir = tempDir(prefix);
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  writeFileSync(path.join(dir, 'README.md'), 'bench repo\n');
  if (config) writeFileSync(path.join(dir, '.workerdeck.json'), JSON.stringify(config, null, 2));
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}

/**
 * The nearest-rank percentile, NaN for no values.
 * @param {number[]} values
 * @param {number} p 0–100
 * @returns {number}
 */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export const median = (/** @type {number[]} */ values) => percentile(values, 50);

/**
 * `value` rounded to `digits` decimals; null when it is not finite (JSON has no NaN).
 * @param {number} value
 * @returns {number | null}
 */
export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** utime+stime of a process in seconds, from /proc/<pid>/stat. @param {number} pid */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / clockTicks();
}

/** @type {number | null} */
let ticksPerSecond = null;
function clockTicks() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * A field of /proc/<pid>/status in MB (VmHWM, VmRSS).
 * @param {number} pid
 * @param {string} field
 */
export function statusMb(pid, field) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). @param {number} pid */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** Signal a process group, else the process alone. @param {number} pid @param {NodeJS.Signals} signal */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/**
 * Worker pids recorded in a deck's state.json (each leads its own process group).
 * @param {string} stateDir
 * @returns {number[]}
 */
export function workerPids(stateDir) {
  try {
    /** @type {{ workers: StateWorker[] }} */
    const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
    return state.workers.map((w) => w.pid).filter((p) => typeof p === 'number');
  } catch {
    return [];
  }
}

/**
 * The pid of a state dir's server (its `deck.pid`), or null.
 * @param {string} stateDir
 * @returns {number | null}
 */
export function serverPid(stateDir) {
  try {
    const pid = Number(readFileSync(path.join(stateDir, 'deck.pid'), 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * End a state dir's server and its workers' process groups (SIGKILL: the bench is done with them).
 * @param {string} stateDir
 */
export function killServer(stateDir) {
  for (const pid of workerPids(stateDir)) if (alive(pid)) killGroup(pid, 'SIGKILL');
  const pid = serverPid(stateDir);
  if (pid !== null && alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Extra node flags for the deck, e.g. WDBENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it. */
function nodeArgsFromEnv() {
  return (process.env.WDBENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The built deck (`bin/workerdeck.js`) in a real PTY. Output can be parsed by
 * a headless xterm (for waiting on screen text during setup) and/or matched
 * raw by listeners (for timing); parsing can be switched off while timing.
 */
export class DeckTerm {
  /**
   * @param {object} o
   * @param {string} o.cwd
   * @param {string | null} [o.stateDir] passed as --state-dir; null: the deck picks its own
   * @param {string[]} [o.args] more arguments for bin/workerdeck.js
   * @param {number} [o.cols]
   * @param {number} [o.rows]
   * @param {Record<string, string>} [o.env] on top of the bench's environment
   * @param {string[]} [o.nodeArgs] node flags before bin/workerdeck.js
   * @param {{ file: string, args: string[] }} [o.program] run this instead of the deck (a tmux client, to compare)
   */
  constructor({ cwd, stateDir = null, args = [], cols = 120, rows = 40, env = {}, nodeArgs = nodeArgsFromEnv(), program = undefined }) {
    this.cols = cols;
    this.rows = rows;
    this.stateDir = stateDir;
    this.parse = true;
    this.pending = 0;
    /** @type {Set<(data: string, at: number) => void>} */
    this.listeners = new Set();
    /** @type {Set<(at: number) => void>} */
    this.parsedListeners = new Set();
    /** @type {{ exitCode: number, signal?: number } | null} */
    this.exit = null;
    this.term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    /** @type {Record<string, string>} */
    const base = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined || k.startsWith('WORKERDECK_') || k.startsWith('npm_') || k === 'TMUX' || k === 'TMUX_PANE') continue;
      base[k] = v;
    }
    this.startedAt = now();
    const command = program ?? { file: process.execPath, args: [...nodeArgs, BIN, ...(stateDir ? ['--state-dir', stateDir] : []), ...args] };
    this.pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols,
      rows,
      cwd,
      env: { ...base, TERM: 'xterm-256color', SHELL: '/bin/bash', HISTFILE: '/dev/null', PS1: '$ ', ...env },
    });
    started.ptys.add(this);
    this.pid = this.pty.pid;
    this.pty.onData((d) => {
      const at = now();
      for (const l of this.listeners) l(d, at);
      if (this.parse) {
        this.pending++;
        this.term.write(d, () => {
          this.pending--;
          for (const l of this.parsedListeners) l(at);
        });
      }
    });
    this.pty.onExit((e) => {
      this.exit = e;
      started.ptys.delete(this);
    });
  }

  /**
   * Listen to raw output chunks; returns an unsubscribe function.
   * @param {(data: string, at: number) => void} listener `at`: performance.now() ms when the chunk arrived
   */
  onData(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Listen for "a chunk was parsed into the screen model"; the listener gets
   * the time the chunk arrived. Returns an unsubscribe function.
   * @param {(at: number) => void} listener
   */
  onParsed(listener) {
    this.parsedListeners.add(listener);
    return () => this.parsedListeners.delete(listener);
  }

  screen() {
    const buffer = this.term.buffer.active;
    const lines = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /**
   * Poll `check` until it returns a truthy value; throws with the screen after `timeoutMs`
   * or when the deck exits.
   * @template T
   * @param {() => T | Promise<T>} check
   * @param {string} what
   * @returns {Promise<T>}
   */
  async waitFor(check, what, timeoutMs = 20_000, intervalMs = 10) {
    const deadline = now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (this.exit) throw new Error(`the deck exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n${this.screen()}`);
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- screen ---\n${this.screen()}`);
      await sleep(intervalMs);
    }
  }

  /** @param {string | RegExp} text @param {number} [timeoutMs] */
  waitForText(text, timeoutMs) {
    return this.waitFor(
      () => this.pending === 0 && (typeof text === 'string' ? this.screen().includes(text) : text.test(this.screen())),
      `screen text ${String(text)}`,
      timeoutMs,
    );
  }

  /** @param {string} data */
  type(data) {
    this.pty.write(data);
  }

  /**
   * The deck's live workers from state.json.
   * @returns {StateWorker[]}
   */
  workers() {
    if (!this.stateDir) return [];
    try {
      /** @type {{ workers: StateWorker[] }} */
      const state = JSON.parse(readFileSync(path.join(this.stateDir, 'state.json'), 'utf8'));
      return state.workers.filter((w) => w.status === 'running' || w.status === 'starting' || w.status === 'asking');
    } catch {
      return [];
    }
  }

  /**
   * Spawn a worker through the UI: n, the task, Tab, a name, Tab to Agent
   * (→ until `agent` shows, when given), Tab to Worktree, Space turns it off,
   * Enter. Resolves once state.json lists the worker.
   * @param {string} task
   * @param {string} name
   * @param {string | null} [agent]
   * @returns {Promise<StateWorker>}
   */
  async spawnWorker(task, name, agent = null) {
    const before = this.workers().length;
    await this.waitFor(() => !this.screen().includes('Spawn a worker'), 'the spawn form to close', 20_000);
    this.type('n');
    await this.waitForText('Spawn a worker');
    this.type(task);
    this.type('\t');
    this.type(name);
    this.type('\t');
    if (agent) {
      // One Right at a time, each waited for until the field shows it: a key typed before the
      // screen caught up would step past the preset.
      for (let i = 0; i < 30; i++) {
        const shown = await this.agentShown();
        if (shown === agent) break;
        this.type('\u001b[C');
        await this.waitFor(async () => (await this.agentShown()) !== shown, 'the agent field to change');
      }
      await this.waitForText(`◀ ${agent} ▶`);
    }
    this.type('\t');
    await this.waitForText(/› Worktree\s+\[x\]/);
    this.type(' ');
    await this.waitForText(/› Worktree\s+\[ \]/);
    this.type('\r');
    await this.waitFor(() => this.workers().length > before, `worker ${name} in state.json`, 20_000);
    await this.waitFor(() => !this.screen().includes('Spawn a worker'), 'the spawn form to close', 20_000);
    const worker = this.workers().find((w) => w.name === name);
    if (!worker) throw new Error(`state.json has a new worker, but none named ${name}`);
    return worker;
  }

  /** The preset the spawn form's Agent field shows, once the output so far is parsed. @returns {Promise<string | null>} */
  async agentShown() {
    await sleep(30);
    await this.waitFor(() => this.pending === 0, 'output parsed');
    return /◀ (\S+) ▶/.exec(this.screen())?.[1] ?? null;
  }

  /** Quit the TUI with q (the server keeps running); falls back to signals. */
  async detach(timeoutMs = 15_000) {
    if (!this.exit) {
      this.parse = true;
      this.type('q');
      const deadline = now() + timeoutMs;
      while (!this.exit && now() < deadline) await sleep(25);
    }
    if (!this.exit) {
      try {
        this.pty.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    started.ptys.delete(this);
  }

  /** Quit the TUI, then end its server and the workers' groups. */
  async quit(timeoutMs = 15_000) {
    await this.detach(timeoutMs);
    this.kill();
  }

  kill() {
    if (!this.exit) {
      killGroup(this.pid, 'SIGTERM');
    }
    if (this.stateDir) killServer(this.stateDir);
    if (!this.exit) {
      try {
        this.pty.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    started.ptys.delete(this);
  }
}

/** A tmux server socket (`tmux -L <name>`) for `cleanup` to kill. @param {string} name */
export function trackTmuxSocket(name) {
  started.tmuxSockets.add(name);
}

/** A state dir whose workers `cleanup` kills. @param {string} dir */
export function trackStateDir(dir) {
  started.stateDirs.add(dir);
}

/** End everything the bench started and remove its temp dirs. Safe to call twice. */
export function cleanup() {
  for (const t of [...started.ptys]) t.kill();
  for (const dir of started.stateDirs) killServer(dir);
  for (const sock of started.tmuxSockets) {
    try {
      execFileSync('tmux', ['-L', sock, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server
    }
  }
  started.tmuxSockets.clear();
  for (const dir of started.tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  started.tempDirs.clear();
}

/**
 * The arrival time of the first event for which `test(payload)` holds, or 0
 * after `timeoutMs`. `subscribe(listener)` registers `listener(payload, at)`
 * and returns an unsubscribe function (DeckTerm.onData / onParsed).
 */
/**
 * @template P
 * @param {(listener: (payload: P, at: number) => void) => () => void} subscribe
 * @param {(payload: P) => boolean} test
 * @returns {Promise<number>}
 */
export function firstArrival(subscribe, test, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const off = subscribe((payload, at) => {
      if (!test(payload)) return;
      off();
      clearTimeout(timer);
      resolve(at);
    });
    const timer = setTimeout(() => {
      off();
      resolve(0);
    }, timeoutMs);
  });
}
