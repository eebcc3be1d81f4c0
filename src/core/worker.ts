/**
 * Worker types and the worker status machine. Pure: no I/O.
 *
 * Statuses: `queued` (waiting for a slot under `maxWorkers`), `starting → running ⇄ asking → completed`, plus the terminal
 * `exited` (clean exit, no completion), `failed` (non-zero exit or spawn error)
 * and `stopped` (by the operator). A reply or a nudge takes `asking` or
 * `completed` back to `running`.
 */
import type { UsageLimit } from './limit-detect.js';
import type { Conflict, DiffStat, Validation } from './review.js';

export const WORKER_STATUSES = [
  'queued',
  'starting',
  'running',
  'asking',
  'completed',
  'exited',
  'failed',
  'stopped',
] as const;

export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** Where a `needsInput` signal came from; higher sources outrank lower ones. */
export type SignalSource = 'screen' | 'hook' | 'mail';

export const SIGNAL_RANK: Record<SignalSource, number> = { screen: 0, hook: 1, mail: 2 };

export interface NeedsInput {
  reason: string;
  source: SignalSource;
  /** epoch ms */
  since: number;
  /**
   * A permission dialog the deck can answer without an attach (y / A / N):
   * from the agent's permission hook (source `hook`) or a preset's screen rule
   * with answer keys (source `screen`). Absent for other prompts.
   */
  permission?: PendingPermission;
}

/** A permission prompt waiting for the operator's answer (src/core/permission.ts). */
export interface PendingPermission {
  /** Names this ask in a `permission-answer` command. */
  id: string;
  /** The tool, e.g. `Bash`, `Edit`, `command` (empty when the dialog does not say). */
  tool: string;
  /** Its command, file or other subject, sanitised (may be empty). */
  detail: string;
  /** Whether the agent offers "allow always" for it. */
  allowAlways: boolean;
}

/** One worker as the registry records it (`state.json`) and the UI shows it. */
export interface WorkerRecord {
  /** Short hex id, unique within a state dir, e.g. `3f2a`. */
  id: string;
  name: string;
  /** Preset name, e.g. `shell`, `claude`. */
  agent: string;
  task: string;
  /** argv actually spawned; argv[0] is the resolved command. */
  command: string[];
  cwd: string;
  /** Absolute worktree path, or null when the worker runs without one. */
  worktree: string | null;
  branch: string | null;
  base: string | null;
  /** Repo top level the worktree belongs to, or null outside git. */
  repo: string | null;
  sessionId: string | null;
  skipPermissions: boolean;
  pid: number | null;
  status: WorkerStatus;
  exitCode: number | null;
  signal: number | null;
  /** Why the worker is in its status, in words, e.g. `the server stopped`. */
  reason: string | null;
  /** Latest progress note, question or summary, sanitised. */
  note: string | null;
  needsInput: NeedsInput | null;
  activity: 'busy' | 'idle';
  /** Highest mail sequence number the operator has seen for this worker. */
  seenSeq: number;
  /** Ids of questions the operator has answered. */
  answered: string[];
  /** epoch ms */
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  /** Lines and files its branch and uncommitted files change against the merge base with its base; absent until computed. */
  diffstat?: DiffStat | null;
  /** Conflicts the radar found with other workers or the base; absent until computed. */
  conflicts?: Conflict[];
  /** The latest validate run; absent when none ran. */
  validation?: Validation;
  /** Watchdog limits in s given at spawn (0 = off); absent fields come from the preset or the config. */
  watchdog?: { timeout?: number; idleTimeout?: number };
  /** While `queued`: what its spawn asked for, and `rank`, its place in the queue (lower starts first). */
  queue?: { worktree: boolean; base: string; rank: number };
  /** The usage limit its agent hit and waits out (the row shows `limited`); null or absent when none. */
  limit?: UsageLimit | null;
}

/**
 * Whether a nudge means something to the worker: its agent reads typed text as
 * a prompt. A `shell` worker would run the nudge text as a command.
 */
export function canNudge(worker: Pick<WorkerRecord, 'agent'>): boolean {
  return worker.agent !== 'shell';
}

/** True while the worker's process is alive as far as the deck knows. */
export function isLive(status: WorkerStatus): boolean {
  return status === 'starting' || status === 'running' || status === 'asking' || status === 'completed';
}

/**
 * True while the worker's process is alive as far as the record shows: a live
 * status and no end time. A `completed` worker may have ended or be running on.
 */
export function hasLiveProcess(worker: Pick<WorkerRecord, 'status' | 'endedAt'>): boolean {
  return isLive(worker.status) && worker.endedAt === null;
}

/**
 * The status a worker ends in when its process exits.
 * @param current the status before the exit
 * @param exitCode process exit code, null when killed by a signal
 * @param stopRequested true when the operator asked the deck to stop it
 */
export function statusOnExit(
  current: WorkerStatus,
  exitCode: number | null,
  stopRequested: boolean,
): WorkerStatus {
  // A worker that reported its task complete keeps that status, however its process ends.
  if (current === 'completed') return 'completed';
  if (stopRequested) return 'stopped';
  if (exitCode === 0) return 'exited';
  return 'failed';
}

/** Status symbols: one column wide in every terminal font we know. */
export const STATUS_SYMBOL: Record<WorkerStatus, string> = {
  queued: '#',
  starting: '◌',
  running: '●',
  asking: '?',
  completed: '✓',
  exited: '○',
  failed: '✗',
  stopped: '■',
};

/** A lowercase slug of at most `max` chars for names and branches, e.g. `fix-the-login`. */
export function slugify(text: string, max = 24): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return slug || 'worker';
}

/**
 * `base` when `taken(base)` is false, else the first free `base-2`, `base-3`, …
 * (`base` cut so that the name stays within 40 chars).
 */
export function freeName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const name = `${base.slice(0, 40 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken(name)) return name;
  }
}

/** A valid worker name: what git accepts inside a branch name, and what reads well in a list. */
export const WORKER_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,39}$/;

/** Human age like `5s`, `3m`, `2h`, `4d` for a span in ms. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/**
 * How long, in ms (at least 1), until `formatAge` of a span that is `ms` now shows
 * other text: the rest of the current second, minute, hour or day.
 */
export function ageChangesIn(ms: number): number {
  if (ms < 0) return Math.ceil(-ms) + 1000;
  const unit = ms < 60_000 ? 1000 : ms < 3_600_000 ? 60_000 : ms < 48 * 3_600_000 ? 3_600_000 : 86_400_000;
  return Math.max(1, unit - (ms % unit));
}

/**
 * When (epoch ms) a view should redraw the age of `stamp` (epoch ms) that it drew at
 * `now` (epoch ms): the moment `formatAge` shows other text, rounded up to the next
 * mark of a grid on the wall clock (1 s while the age reads seconds, 10 s for minutes,
 * 1 min for hours, 10 min for days). Ages of many workers then change on the same few
 * marks, so a list of 32 redraws once a second in their first minute, not 32 times,
 * and a shown age is at most one grid step late (a `1m` at most 10 s).
 */
export function ageRedrawAt(now: number, stamp: number): number {
  const age = now - stamp;
  const grid = age < 60_000 ? 1000 : age < 3_600_000 ? 10_000 : age < 48 * 3_600_000 ? 60_000 : 600_000;
  return Math.ceil((now + ageChangesIn(age)) / grid) * grid;
}

/**
 * A fresh worker record in status `starting`, with every field that the
 * worker's history fills in later (pid, exit, mail counters) empty.
 * @param fields what is known at spawn time; `createdAt` is epoch ms
 */
export function newWorkerRecord(
  fields: Pick<WorkerRecord, 'id' | 'name' | 'agent' | 'cwd' | 'createdAt'> & Partial<WorkerRecord>,
): WorkerRecord {
  return {
    task: '',
    command: [],
    worktree: null,
    branch: null,
    base: null,
    repo: null,
    sessionId: null,
    skipPermissions: false,
    pid: null,
    status: 'starting',
    exitCode: null,
    signal: null,
    reason: null,
    note: null,
    needsInput: null,
    activity: 'idle',
    seenSeq: 0,
    answered: [],
    updatedAt: fields.createdAt,
    endedAt: null,
    ...fields,
  };
}

/**
 * The status word a row shows: `needs input` overrides the status while a
 * prompt waits, then `limited` while its agent waits out a usage limit.
 */
export function statusLabel(worker: WorkerRecord): string {
  if (worker.needsInput && isLive(worker.status)) return 'needs input';
  if (worker.limit && isLive(worker.status)) return 'limited';
  return worker.status;
}
