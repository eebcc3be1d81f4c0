import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

/**
 * A PTY's session: every process whose session id is the PTY child's pid.
 * node-pty starts the child with setsid, so the child leads a session of its
 * own, and everything it starts stays in that session, even jobs that an
 * interactive shell puts in process groups of their own, and processes that
 * outlive the child. Only a process that calls setsid itself (a daemon that
 * detaches on purpose) leaves it.
 *
 * Linux reads /proc/<pid>/stat. Other systems ask `pgrep -s <sid>` and
 * `pgrep -g <sid>` (macOS's `ps -o sess` prints a kernel pointer, not an id);
 * this is a best effort, untested there. Without pgrep, the child's own
 * process group is all that can be found.
 *
 * Zombies are left out: they run nothing, and an init that does not reap
 * orphans (some containers) would otherwise keep a session "alive" forever.
 *
 * A scan reads every process's stat file (about 20 µs a process, so 2 ms for
 * 100 processes on Linux), and one scan serves every session: callers that
 * poll pass `maxAgeMs` to reuse the last scan when it is that recent.
 */

/** The fields of /proc/<pid>/stat the deck reads. */
export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z, T, t, X, I, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
}

/**
 * Parse the text of /proc/<pid>/stat. Field 2 is `(comm)`, which may itself
 * hold spaces and parentheses, so the fields after it are taken from the last `)`.
 * @returns the fields, or null when the text is not a stat line
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open));
  const [state, ppid, pgrp, session] = text.slice(close + 2).split(' ');
  const numbers = [pid, Number(ppid), Number(pgrp), Number(session)];
  if (!state || numbers.some((n) => !Number.isInteger(n))) return null;
  return { pid, state, ppid: numbers[1]!, pgrp: numbers[2]!, session: numbers[3]! };
}

/**
 * Pids of live (not zombie) processes in session `sid`, ascending; never this
 * process, never sessions 0 and 1.
 * @param maxAgeMs reuse the last scan of all processes when it is younger than this (ms); 0 scans afresh
 */
export function sessionPids(sid: number, maxAgeMs = 0): number[] {
  if (!Number.isInteger(sid) || sid <= 1) return [];
  const table = process.platform === 'linux' ? procTable(maxAgeMs) : null;
  const pids = table ? (table.get(sid) ?? []) : pgrepSessionPids(sid);
  return pids.filter((pid) => pid !== process.pid).sort((a, b) => a - b);
}

let lastScan: { at: number; bySession: Map<number, number[]> } | null = null;
const statBuffer = Buffer.alloc(4096);

/** Live processes by session id from /proc, or null when /proc cannot be read. */
function procTable(maxAgeMs: number): Map<number, number[]> | null {
  const now = Date.now();
  if (lastScan && now - lastScan.at < maxAgeMs) return lastScan.bySession;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const bySession = new Map<number, number[]>();
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const stat = parseProcStat(readStat(name));
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const pids = bySession.get(stat.session);
    if (pids) pids.push(stat.pid);
    else bySession.set(stat.session, [stat.pid]);
  }
  lastScan = { at: now, bySession };
  return bySession;
}

/** The text of /proc/<pid>/stat; '' when the process ended meanwhile. (readFileSync costs three times as much here.) */
function readStat(pid: string): string {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return '';
  }
  try {
    return statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

function pgrepSessionPids(sid: number): number[] {
  const found = new Set<number>();
  for (const flag of ['-s', '-g']) {
    try {
      const out = execFileSync('pgrep', [flag, String(sid)], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const word of out.split(/\s+/)) if (/^\d+$/.test(word)) found.add(Number(word));
    } catch {
      // pgrep exits 1 when nothing matches; missing pgrep is the same as no answer.
    }
  }
  if (found.size === 0) {
    try {
      process.kill(-sid, 0);
      found.add(sid); // The group is there; signalling -sid reaches it.
    } catch {
      // No such group.
    }
  }
  return [...found];
}

/**
 * Send `signal` to every live process of session `sid`. Never throws.
 * @param maxAgeMs as for `sessionPids`
 * @returns the pids signalled (empty when nothing of the session is left)
 */
export function signalSession(sid: number, signal: NodeJS.Signals, maxAgeMs = 0): number[] {
  const signalled: number[] = [];
  for (const pid of sessionPids(sid, maxAgeMs)) {
    try {
      // On the pgrep fallback the leader's pid may stand for its whole group.
      process.kill(pid === sid && process.platform !== 'linux' ? -pid : pid, signal);
      signalled.push(pid);
    } catch {
      // Gone meanwhile, or not ours to signal.
    }
  }
  return signalled;
}

/** What a session looks like to the code that ends it: a PtyHandle, or a fake in tests. */
export interface SessionHandle {
  /** Live processes of the session; `maxAgeMs` as for `sessionPids`. */
  sessionPids(maxAgeMs?: number): number[];
  /** Signal every live process of the session; returns how many were signalled. */
  killSession(signal: NodeJS.Signals, maxAgeMs?: number): number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * SIGKILL every process of the given sessions, synchronously (usable in an
 * `exit` handler): up to `rounds` rounds, `pauseMs` apart, so a process
 * forked while a round went out is caught by the next. One scan of all
 * processes serves every session in a round.
 * @returns true when nothing of any of the sessions is left
 */
export function killSessionsSync(sessions: Iterable<SessionHandle>, rounds = 4, pauseMs = 5): boolean {
  const list = [...sessions];
  for (let round = 0; round < rounds; round++) {
    // The first session scans afresh; the others reuse that scan (nothing else runs in between).
    const signalled = list.reduce((sum, session, i) => sum + session.killSession('SIGKILL', i === 0 ? 0 : Infinity), 0);
    if (signalled === 0) return true;
    Atomics.wait(pause, 0, 0, pauseMs);
  }
  return list.every((session, i) => session.sessionPids(i === 0 ? 0 : Infinity).length === 0);
}

export interface SessionReaperOptions {
  /** How often the session is checked while it is being ended, in ms. */
  pollMs?: number;
  /** How long SIGKILL is repeated before the reaper gives up on a process (stuck in the kernel), in ms. */
  giveUpMs?: number;
  now?: () => number;
}

/**
 * Ends one PTY session and says when it is empty. `end(graceMs)` sends
 * SIGTERM, SIGHUP and SIGCONT (a stopped job cannot act on the first two
 * until it runs) to every process, then SIGKILL to whatever is left from
 * the grace deadline on, repeated until nothing is left. The earliest
 * deadline asked for wins, so a quit can shorten a stop under way.
 */
export class SessionReaper {
  private killAt: number | null = null;
  private readonly createdAt: number;
  private timer: NodeJS.Timeout | null = null;
  private empty: Promise<number[]> | null = null;
  private resolveEmpty: ((left: number[]) => void) | null = null;
  private readonly pollMs: number;
  private readonly giveUpMs: number;
  private readonly now: () => number;

  constructor(
    private readonly session: SessionHandle,
    options: SessionReaperOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 50;
    this.giveUpMs = options.giveUpMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.createdAt = this.now();
  }

  /**
   * How old a shared scan may be for this session: up to half a poll, and never
   * older than the reaper (a scan from before the PTY started would not show it).
   */
  private maxAge(): number {
    return Math.max(0, Math.min(this.pollMs / 2, this.now() - this.createdAt));
  }

  /** Ask every process of the session to end now; SIGKILL what is left after `graceMs` (ms). */
  end(graceMs: number): void {
    const at = this.now() + Math.max(0, graceMs);
    if (this.killAt === null || at < this.killAt) this.killAt = at;
    for (const signal of ['SIGTERM', 'SIGHUP', 'SIGCONT'] as const) this.session.killSession(signal, this.maxAge());
    void this.whenEmpty();
  }

  /**
   * Resolves once no process of the session is left, checking every `pollMs`.
   * Without `end()` it only watches.
   * @returns pids that SIGKILL did not end within `giveUpMs` (normally empty)
   */
  whenEmpty(): Promise<number[]> {
    if (!this.empty) {
      this.empty = new Promise((resolve) => (this.resolveEmpty = resolve));
      this.check();
    }
    return this.empty;
  }

  private check(): void {
    this.timer = null;
    const left = this.session.sessionPids(this.maxAge());
    const now = this.now();
    if (left.length > 0 && this.killAt !== null && now >= this.killAt) {
      if (now - this.killAt < this.giveUpMs) {
        this.session.killSession('SIGKILL', this.maxAge());
      } else {
        this.finish(left);
        return;
      }
    }
    if (left.length === 0) {
      this.finish([]);
      return;
    }
    this.timer = setTimeout(() => this.check(), this.pollMs);
  }

  private finish(left: number[]): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.resolveEmpty?.(left);
    this.resolveEmpty = null;
  }
}
