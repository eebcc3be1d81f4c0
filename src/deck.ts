import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyDeckState, eventMail, reduce, unansweredQuestions, type DeckEvent, type DeckState } from './core/deck-state.js';
import { sanitize, type MailMessage, type OperatorReply } from './core/mail.js';
import type { MailboxHandlers } from './mail/mailbox.js';
import { deliverReply } from './mail/ask-wait.js';
import { freeName, hasLiveProcess, isLive, newWorkerRecord, slugify, WORKER_NAME_RE, type WorkerRecord } from './core/worker.js';
import type { GitRunner } from './git/git.js';
import { createWorktree, ensureExcluded, isDirty, removeWorktree, type RepoInfo } from './git/worktree.js';
import type { CommandRunner, Launch, LaunchContext, Preset } from './agents/preset.js';
import { resolveCommand } from './agents/preset.js';
import { execaRunner, SessionTracker } from './agents/session.js';
import { workerInstructions } from './agents/instructions.js';
import { OutputFlow, type FlowGate, type FlowStats } from './pty/flow.js';
import { ReleaseAfterFlood, releaseHeap } from './pty/heap.js';
import { MirrorPool } from './pty/mirror-pool.js';
import type { MirrorFactory, MirrorHandle, PtyHandle, PtySpawner } from './pty/types.js';
import { killSessionsSync, SessionReaper } from './pty/session.js';
import type { Registry } from './registry/registry.js';
import type { StateLayout } from './registry/state-dir.js';
import { readTranscriptTail, Transcript } from './registry/transcript.js';
import { processExists } from './registry/pid.js';
import { findLimits, type UsageLimit } from './core/limit-detect.js';
import type { ScreenRule } from './core/prompt-detect.js';
import { screenNeedsInput } from './core/permission.js';

/** SIGTERM, then SIGKILL after this many ms. */
export const STOP_GRACE_MS = 5000;
/** Grace for processes a worker left in its session when it exited by itself, in ms. */
export const LEFTOVER_GRACE_MS = 1000;
/** Output silence after which a worker counts as idle, in ms. */
const IDLE_AFTER_MS = 2000;
/** Quiet time before the screen is checked for a waiting prompt, in ms. */
const PROMPT_DEBOUNCE_MS = 400;

export interface SpawnRequest {
  task: string;
  /** Empty for a slug of the task. */
  name: string;
  agent: string;
  worktree: boolean;
  /** Base branch or commit; empty for the current branch. */
  base: string;
  skipPermissions: boolean;
  /** Watchdog limits of this worker in s (0 = off); absent: its preset's or the config's (src/server/watchdog.ts). */
  timeout?: number | undefined;
  idleTimeout?: number | undefined;
}

/** Why the deck, not the operator, stopped a worker: `reason` is recorded; `fail` makes it `failed`. */
export interface StopCause {
  reason: string;
  fail: boolean;
}

export class SpawnError extends Error {}

export interface DeckOptions {
  spawner: PtySpawner;
  git: GitRunner;
  layout: StateLayout;
  registry: Registry;
  presets: Map<string, Preset>;
  /** The repo around the cwd, or null outside git. */
  repo: RepoInfo | null;
  cwd: string;
  /** The user's environment; workers inherit it. */
  env: NodeJS.ProcessEnv;
  /** Absolute path of the `workerdeck` launcher in `<state>/bin`. */
  launcher: string;
  now?: () => number;
  /** Preview size in cells: every detached PTY has this size. */
  size?: { cols: number; rows: number };
  /** Makes screen mirrors; default: mirrors in one worker thread (MirrorPool). */
  mirrors?: MirrorFactory;
  /** Runs session discovery commands (`opencode session list`); default: execa. */
  commands?: CommandRunner;
  /** Waits before each background session discovery after a spawn, ms (src/agents/session.ts). */
  sessionDiscoveryDelaysMs?: number[];
  /** Seconds a worker of a preset waits in `ask` for its reply, 0 = the reply is typed (config `ask`, `askWait`); default 0. */
  askWaitFor?: (preset: string) => number;
}

interface Runtime {
  pty: PtyHandle;
  mirror: MirrorHandle;
  transcript: Transcript;
  /** Pauses the PTY while its mirror or transcript backlog is too large (src/pty/flow.ts). */
  flow: FlowGate;
  stopRequested: boolean;
  /** Set when the deck stopped the worker for a reason of its own (a watchdog, the server's exit). */
  stopCause: StopCause | null;
  /** Ends the PTY's session (every process in it) and says when it is empty. */
  reaper: SessionReaper;
  lastOutputAt: number;
  promptTimer: NodeJS.Timeout | null;
  /** The usage-limit messages seen on its screen since it last showed none (see checkLimit). */
  limitsSeen: Set<string>;
  preset: Preset;
  /** Raw-output taps (attach); they see every byte, untouched. */
  taps: Set<(data: string) => void>;
  exited: Promise<void>;
}

type Listener = (state: DeckState, event: DeckEvent) => void;

/**
 * The Deck: the only object that changes worker state. It owns every worker's
 * PTY, screen mirror and transcript, creates worktrees, and turns everything
 * that happens into `DeckEvent`s, which it reduces into `DeckState`, saves
 * through the Registry and hands to listeners (the store). It owns every
 * process in each worker's PTY session: a worker has ended only when none is
 * left (see src/pty/session.ts).
 */
export class Deck {
  private state: DeckState = emptyDeckState();
  private readonly runtimes = new Map<string, Runtime>();
  /** Mirrors rebuilt from transcripts for workers that are not running. */
  private readonly pastScreens = new Map<string, MirrorHandle>();
  private readonly makeMirror: MirrorFactory;
  private pool: MirrorPool | null = null;
  private readonly flow = new OutputFlow();
  /** Gives the memory a flood of output used back to the system once the PTYs are quiet. */
  private readonly afterFlood: ReleaseAfterFlood;
  private readonly listeners = new Set<Listener>();
  private readonly screenListeners = new Set<(id: string) => void>();
  private readonly now: () => number;
  private size: { cols: number; rows: number };
  private activityTimer: NodeJS.Timeout | null = null;
  /** Names being spawned and ids being resumed: a second request waits its turn. */
  private readonly spawning = new Set<string>();
  private readonly resuming = new Set<string>();
  /** Spawns and resumes under way; shutdown waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** Finds and records the agent's own session id of each worker; says which one `R` resumes. */
  private readonly sessions: SessionTracker;

  constructor(private readonly options: DeckOptions) {
    this.now = options.now ?? Date.now;
    this.sessions = new SessionTracker({
      workerFiles: options.layout.workerFiles,
      run: options.commands ?? execaRunner(),
      env: options.env,
      workers: () => Object.values(this.state.workers),
      now: this.now,
      ...(options.sessionDiscoveryDelaysMs ? { delaysMs: options.sessionDiscoveryDelaysMs } : {}),
    });
    this.size = options.size ?? { cols: 80, rows: 24 };
    this.afterFlood = new ReleaseAfterFlood(
      () => {
        releaseHeap();
        this.pool?.releaseHeap();
      },
      () => this.flow.idle(),
      this.now,
    );
    this.makeMirror =
      options.mirrors ??
      ((cols, rows) => {
        this.pool ??= new MirrorPool((error) => this.warn(`The screen mirror thread failed: ${error.message}`));
        return this.pool.create(cols, rows);
      });
  }

  /** The current state; never mutate it. */
  getState(): DeckState {
    return this.state;
  }

  get presets(): Map<string, Preset> {
    return this.options.presets;
  }

  get repo(): RepoInfo | null {
    return this.options.repo;
  }

  /** The GitRunner every git call of the deck goes through. */
  get git(): GitRunner {
    return this.options.git;
  }

  /** Listen to every state change. Returns an unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listen for "the screen of worker <id> changed" (after the mirror parsed new output). */
  onScreen(listener: (id: string) => void): () => void {
    this.screenListeners.add(listener);
    return () => this.screenListeners.delete(listener);
  }

  /**
   * Load earlier workers and mail. A worker recorded as live whose process is
   * gone becomes `exited` with the reason `closedReason`.
   */
  restore(
    saved: {
      workers: WorkerRecord[];
      replies: OperatorReply[];
      nextSeq: number;
      dismissed?: Record<string, number>;
      mailTotals?: Record<string, number> | null;
    } | null,
    mail: MailMessage[],
    closedReason = 'the deck was closed',
  ): void {
    let state = emptyDeckState();
    for (const worker of saved?.workers ?? []) {
      let record = worker;
      if (hasLiveProcess(worker)) {
        const stillThere = worker.pid !== null && processExists(worker.pid);
        record = {
          ...worker,
          status: worker.status === 'completed' ? 'completed' : 'exited',
          reason: stillThere
            ? `${closedReason}; process ${worker.pid} was still running outside the deck`
            : closedReason,
          needsInput: null,
          activity: 'idle',
          endedAt: worker.endedAt ?? this.now(),
        };
      }
      state = reduce(state, { type: 'worker-added', worker: record });
    }
    const nextSeq = Math.max(saved?.nextSeq ?? 1, (mail.at(-1)?.seq ?? 0) + 1);
    // Mail handled after the last save still needs its effect on the worker.
    const applied = saved?.nextSeq ?? 1;
    // Totals of what was saved; a state.json from before they were kept counts what was loaded.
    let mailTotals = saved?.mailTotals ?? null;
    if (!mailTotals) {
      mailTotals = {};
      for (const m of mail) if (m.seq < applied && m.type !== 'needs-input') mailTotals[m.workerId] = (mailTotals[m.workerId] ?? 0) + 1;
    }
    state = { ...state, replies: saved?.replies ?? [], nextSeq, dismissed: saved?.dismissed ?? {}, mailTotals };
    const before = mail.filter((m) => m.seq < applied);
    state = { ...state, mail: before };
    for (const message of mail) if (message.seq >= applied) state = reduce(state, { type: 'mail-received', message });
    this.state = { ...state, nextSeq };
    this.options.registry.save(this.state);
    for (const l of this.listeners) l(this.state, { type: 'restored' });
  }

  /** Hand out the next mail sequence number (the Mailbox calls this). */
  nextSeq(): number {
    const seq = this.state.nextSeq;
    this.state = { ...this.state, nextSeq: seq + 1 };
    return seq;
  }

  /**
   * Take back `seq` when the Mailbox could not move its message into mail/cur,
   * so the sequence keeps no gap. Only the last number handed out can come back.
   * @returns true when it was taken back
   */
  releaseSeq(seq: number): boolean {
    if (this.state.nextSeq !== seq + 1) return false;
    this.state = { ...this.state, nextSeq: seq };
    return true;
  }

  /** Apply an event, persist it, and notify listeners. */
  dispatch(event: DeckEvent): void {
    this.state = reduce(this.state, event);
    this.options.registry.save(this.state);
    for (const [type, fields] of eventLogLines(event)) this.options.registry.appendEvent(type, fields, this.now());
    for (const listener of this.listeners) listener(this.state, event);
  }

  /** Add a warning for the operator (also logged in events.jsonl). */
  warn(text: string): void {
    // Warnings quote file names and contents that workers chose.
    this.dispatch({ type: 'warning', text: sanitize(text).replace(/\s+/g, ' '), at: this.now() });
  }

  /** A message arrived in the mailbox. */
  receiveMail(message: MailMessage): void {
    this.dispatch({ type: 'mail-received', message });
  }

  /**
   * How a Mailbox hands this deck its mail: each batch as one event, seqs
   * from the deck's state, and a warning for bad mail and for failed moves.
   */
  mailboxHandlers(): MailboxHandlers {
    return {
      onMessage: (message) => this.receiveMail(message),
      onMessages: (messages) => this.receiveMailBatch(messages),
      onBad: (file, reason) => this.warn(`Bad mail ${file} moved to mail/bad: ${reason}`),
      nextSeq: () => this.nextSeq(),
      releaseSeq: (seq) => this.releaseSeq(seq),
      onError: (message) => this.warn(message),
    };
  }

  /** Messages the mailbox handled together, in seq order: one state change, one event for clients. */
  receiveMailBatch(messages: MailMessage[]): void {
    if (messages.length === 1) return this.receiveMail(messages[0] as MailMessage);
    if (messages.length > 0) this.dispatch({ type: 'mail-batch', messages });
  }

  /** The preview size changed: every detached PTY and mirror follows. */
  setSize(cols: number, rows: number, except: ReadonlySet<string> = new Set()): void {
    this.size = { cols, rows };
    for (const [id, rt] of this.runtimes) {
      if (except.has(id)) continue;
      rt.pty.resize(cols, rows);
      rt.mirror.resize(cols, rows);
    }
    for (const mirror of this.pastScreens.values()) mirror.resize(cols, rows);
  }

  /** Resize one worker's PTY and mirror (attach uses the whole terminal). */
  resizeWorker(id: string, cols: number, rows: number): void {
    const rt = this.runtimes.get(id);
    if (!rt) return;
    rt.pty.resize(cols, rows);
    rt.mirror.resize(cols, rows);
  }

  /**
   * The screen mirror of a worker: its live mirror, or one rebuilt from its
   * transcript when it is not running (loaded in the background; null until then).
   */
  screen(id: string): MirrorHandle | null {
    const rt = this.runtimes.get(id);
    if (rt) return rt.mirror;
    const past = this.pastScreens.get(id);
    if (past) return past;
    if (!this.state.workers[id]) return null;
    const mirror = this.makeMirror(this.size.cols, this.size.rows);
    this.pastScreens.set(id, mirror);
    void readTranscriptTail(this.transcriptFile(id)).then((text) => {
      if (text) mirror.write(text, () => this.notifyScreen(id));
    });
    return mirror;
  }

  /** True when the worker has a live PTY owned by this deck. */
  isRunning(id: string): boolean {
    return this.runtimes.has(id);
  }

  /**
   * Spawn a worker: validate, create its worktree, start its PTY.
   * @returns the new worker's record
   * @throws SpawnError with a sentence for the operator; a failed spawn
   *   leaves no worktree, no branch and no registry entry behind.
   */
  async spawn(request: SpawnRequest): Promise<WorkerRecord> {
    const { preset, name, repo } = this.checkSpawn(request);
    this.spawning.add(name);
    try {
      return await this.track(this.spawnChecked(request, preset, name, repo));
    } finally {
      this.spawning.delete(name);
    }
  }

  /**
   * Queue a spawn instead of starting it (the server's `maxWorkers` is
   * reached): the worker is listed `queued`, last in the queue, and starts
   * with `startQueued`. Checked as `spawn` checks it.
   * @throws SpawnError with a sentence for the operator
   */
  enqueue(request: SpawnRequest): WorkerRecord {
    const { preset, name } = this.checkSpawn(request);
    const ranks = Object.values(this.state.workers).flatMap((w) => (w.status === 'queued' && w.queue ? [w.queue.rank] : []));
    const record = newWorkerRecord({
      id: this.newId(),
      name,
      agent: preset.name,
      task: request.task,
      cwd: this.options.cwd,
      skipPermissions: request.skipPermissions && preset.supportsSkipPermissions,
      createdAt: this.now(),
      status: 'queued',
      queue: { worktree: request.worktree, base: request.base, rank: Math.max(-1, ...ranks) + 1 },
      ...watchdogFields(request),
    });
    this.dispatch({ type: 'worker-added', worker: record });
    return record;
  }

  /**
   * Start a queued worker: its worktree and PTY, as `spawn` does, under the
   * same id. A start that fails leaves the worker `failed` with the reason.
   */
  async startQueued(id: string): Promise<void> {
    const worker = this.state.workers[id];
    // A closing deck keeps its queue for the next server.
    if (!worker || worker.status !== 'queued' || !worker.queue || this.closing) return;
    const request: SpawnRequest = {
      task: worker.task,
      name: worker.name,
      agent: worker.agent,
      worktree: worker.queue.worktree,
      base: worker.queue.base,
      skipPermissions: worker.skipPermissions,
      ...(worker.watchdog ?? {}),
    };
    const preset = this.options.presets.get(worker.agent);
    this.spawning.add(worker.name);
    try {
      if (this.closing) throw new SpawnError('The deck is closing; no new workers.');
      if (!preset) throw new SpawnError(`The preset "${worker.agent}" is not configured any more.`);
      await this.track(this.spawnChecked(request, preset, worker.name, this.options.repo, worker));
    } catch (error) {
      if (this.state.workers[id]?.status !== 'queued') return;
      const reason = `could not start from the queue: ${(error as Error).message}`;
      this.dispatch({ type: 'worker-exited', id, exitCode: null, signal: null, stopRequested: false, reason, at: this.now(), failed: true });
    } finally {
      this.spawning.delete(worker.name);
    }
  }

  /** Take a queued worker out of the queue before it started: it is `stopped`, with nothing to clean up. */
  cancelQueued(id: string): void {
    if (this.state.workers[id]?.status !== 'queued') return;
    this.dispatch({ type: 'worker-exited', id, exitCode: null, signal: null, stopRequested: true, reason: 'cancelled while queued', at: this.now() });
  }

  /** Put the spawn queue in this order (the queued workers' ids, first to start first). */
  reorderQueue(ids: string[]): void {
    this.dispatch({ type: 'queue-order', ids });
  }

  /** The checks every spawn passes before anything is created. @throws SpawnError */
  private checkSpawn(request: SpawnRequest): { preset: Preset; name: string; repo: RepoInfo | null } {
    if (this.closing) throw new SpawnError('The deck is closing; no new workers.');
    const preset = this.options.presets.get(request.agent);
    if (!preset) {
      throw new SpawnError(`Unknown agent preset "${request.agent}". Known presets: ${[...this.options.presets.keys()].join(', ')}.`);
    }
    const inUse = (n: string) => this.spawning.has(n) || Object.values(this.state.workers).some((w) => w.name === n && (hasLiveProcess(w) || w.status === 'queued'));
    // A name the operator left to the deck never collides: two tasks that start alike get `fix-the-login-2`.
    const name = request.name.trim() || freeName(slugify(request.task || request.agent), inUse);
    if (!WORKER_NAME_RE.test(name)) {
      throw new SpawnError(`"${name}" is not a valid worker name: use lowercase letters, digits, ".", "_" and "-" (at most 40).`);
    }
    if (inUse(name)) throw new SpawnError(`A running worker is already called "${name}". Pick another name.`);
    const repo = this.options.repo;
    if (request.worktree && !repo) {
      throw new SpawnError(
        `Cannot create a worktree: ${this.options.cwd} is not inside a git repository. Turn Worktree off (Space) or start workerdeck in a repo.`,
      );
    }
    return { preset, name, repo };
  }

  /** `queued`: the queued worker this spawn starts (its id and creation time are kept). */
  private async spawnChecked(request: SpawnRequest, preset: Preset, name: string, repo: RepoInfo | null, queued?: WorkerRecord): Promise<WorkerRecord> {
    const id = queued?.id ?? this.newId();
    const now = queued?.createdAt ?? this.now();
    let worktree: { path: string; branch: string; base: string } | null = null;
    if (request.worktree && repo) {
      const base = request.base.trim() || repo.branch || 'HEAD';
      try {
        worktree = await createWorktree(this.options.git, repo, `${name}-${id}`, base);
      } catch (error) {
        throw new SpawnError((error as Error).message);
      }
      // Uncommitted work in the repo is not in the new worktree: say so, once, without blocking.
      void isDirty(this.options.git, repo.top).then((dirty) => {
        if (dirty) {
          this.warn(`${repo.top} has uncommitted changes; ${name} starts from ${base} without them. Commit first if it needs them.`);
        }
      });
    }
    const cwd = worktree?.path ?? this.options.cwd;
    const record = newWorkerRecord({
      id,
      name,
      agent: preset.name,
      task: request.task,
      cwd,
      worktree: worktree?.path ?? null,
      branch: worktree?.branch ?? null,
      base: worktree?.base ?? null,
      repo: worktree ? (repo?.mainTop ?? null) : null,
      sessionId: randomUUID(),
      skipPermissions: request.skipPermissions && preset.supportsSkipPermissions,
      createdAt: now,
      ...watchdogFields(request),
    });
    try {
      const launch = preset.launch(this.launchContext(record));
      const started = await this.startPty(record, preset, launch);
      // A queued worker's record is replaced in place: it keeps its place in the list and its mail.
      this.dispatch({ type: 'worker-added', worker: queued ? { ...queued, ...record, status: 'starting', queue: undefined } : record });
      this.dispatch({ type: 'worker-started', id, pid: started.pid, command: started.command, at: this.now() });
      this.sessions.watch(record, preset);
      return this.state.workers[id] ?? record;
    } catch (error) {
      if (worktree && repo) await removeWorktree(this.options.git, repo, worktree.path, worktree.branch);
      this.options.registry.appendEvent('spawn-failed', { name, agent: preset.name, reason: (error as Error).message }, this.now());
      throw error instanceof SpawnError ? error : new SpawnError((error as Error).message);
    }
  }

  /**
   * Resume a worker that is not running: the preset's resume command (for
   * example `claude --resume <session id>`) in the same cwd and worktree.
   * @throws SpawnError when the worker is running, gone, or its preset cannot resume.
   */
  async resume(id: string): Promise<void> {
    if (this.closing) throw new SpawnError('The deck is closing; no new workers.');
    const worker = this.state.workers[id];
    if (!worker) throw new SpawnError('No such worker.');
    if (worker.status === 'queued') throw new SpawnError(`${worker.name} is queued; it starts by itself when a slot frees.`);
    if (this.runtimes.has(id) || this.resuming.has(id)) throw new SpawnError(`${worker.name} is already running.`);
    const preset = this.options.presets.get(worker.agent);
    if (!preset) throw new SpawnError(`Cannot resume ${worker.name}: the preset "${worker.agent}" is not configured any more.`);
    if (!preset.resume) throw new SpawnError(`The ${preset.name} preset cannot resume a session.`);
    this.resuming.add(id);
    try {
      // The agent's own session, never its "latest": that may be another worker's.
      const sessionId = await this.sessions.forResume(worker, preset).catch((error: Error) => {
        throw new SpawnError(error.message);
      });
      const ctx = { ...this.launchContext(worker), sessionId };
      const launch = preset.resume(ctx);
      const started = await this.track(this.startPty(worker, preset, launch)).catch((error: Error) => {
        throw new SpawnError(error.message);
      });
      this.pastScreens.get(id)?.dispose();
      this.pastScreens.delete(id);
      this.dispatch({ type: 'worker-started', id, pid: started.pid, command: started.command, sessionId: ctx.sessionId, at: this.now() });
    } finally {
      this.resuming.delete(id);
    }
  }

  /** Remember a spawn or resume under way until it settles. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.catch(() => undefined).finally(() => this.inFlight.delete(work));
    return work;
  }

  private launchContext(worker: WorkerRecord): LaunchContext {
    const askWait = this.options.askWaitFor?.(worker.agent) ?? 0;
    return {
      workerId: worker.id,
      name: worker.name,
      task: worker.task,
      sessionId: worker.sessionId ?? randomUUID(),
      cwd: worker.cwd,
      worktree: worker.worktree,
      branch: worker.branch,
      stateDir: this.options.layout.dir,
      launcher: this.options.launcher,
      workerDir: path.join(this.options.layout.workerFiles, worker.id),
      instructions: workerInstructions(worker, askWait),
      skipPermissions: worker.skipPermissions,
      askWait,
      env: this.options.env,
    };
  }

  private workerEnv(worker: WorkerRecord, extra: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.options.env)) {
      if (value === undefined) continue;
      // Workers are not inside tmux or npm even when the deck is; agent CLIs read these.
      if (key === 'TMUX' || key === 'TMUX_PANE' || key.startsWith('npm_') || key.startsWith('WORKERDECK_')) continue;
      env[key] = value;
    }
    const pathDirs = [this.options.layout.binDir, env.PATH ?? '/usr/local/bin:/usr/bin:/bin'];
    return {
      ...env,
      TERM: 'xterm-256color',
      COLORTERM: 'truecolor',
      ...extra,
      PATH: [extra.PATH ?? '', ...pathDirs].filter(Boolean).join(path.delimiter),
      WORKERDECK_WORKER_ID: worker.id,
      WORKERDECK_WORKER_NAME: worker.name,
      WORKERDECK_STATE_DIR: this.options.layout.dir,
    };
  }

  private async startPty(worker: WorkerRecord, preset: Preset, launch: Launch): Promise<{ pid: number; command: string[] }> {
    const env = this.workerEnv(worker, launch.env);
    const file = resolveCommand(launch.command, env.PATH, worker.cwd);
    if (!file) {
      throw new SpawnError(
        `Command not found: "${launch.command}"${preset.installHint ? ` (${preset.installHint})` : ''}. Check the ${preset.name} preset's command.`,
      );
    }
    for (const f of launch.files) {
      await mkdir(path.dirname(f.path), { recursive: true });
      await writeFile(f.path, f.content, { mode: 0o600 });
      if (f.exclude && this.options.repo) await ensureExcluded(this.options.repo.commonDir, [f.exclude]);
    }
    const transcript = new Transcript(this.transcriptFile(worker.id), (m) => this.warn(m));
    await transcript.open();
    // Checked after the last await: nothing else may start this worker meanwhile.
    if (this.closing || this.runtimes.has(worker.id)) {
      await transcript.close();
      throw new SpawnError(this.closing ? 'The deck is closing; no new workers.' : `${worker.name} is already running.`);
    }
    let mirror: MirrorHandle;
    let pty: PtyHandle;
    try {
      mirror = this.makeMirror(this.size.cols, this.size.rows);
    } catch (error) {
      await transcript.close();
      throw new SpawnError(`Cannot make a screen mirror: ${(error as Error).message}`);
    }
    try {
      pty = this.options.spawner({
        file,
        args: launch.args,
        cwd: worker.cwd,
        env,
        cols: this.size.cols,
        rows: this.size.rows,
      });
    } catch (error) {
      mirror.dispose();
      await transcript.close();
      throw new SpawnError(`Cannot start "${launch.command}": ${(error as Error).message}`);
    }
    let resolveExited!: () => void;
    const flow = this.flow.gate(pty);
    transcript.onDrain(() => flow.transcriptDrained());
    const rt: Runtime = {
      pty,
      mirror,
      transcript,
      flow,
      stopRequested: false,
      stopCause: null,
      reaper: new SessionReaper(pty),
      lastOutputAt: 0,
      promptTimer: null,
      limitsSeen: new Set(),
      preset,
      taps: new Set(),
      exited: new Promise<void>((resolve) => (resolveExited = resolve)),
    };
    this.runtimes.set(worker.id, rt);
    pty.onData((data) => this.onOutput(worker.id, rt, data));
    pty.onExit((exit) => {
      void this.onExit(worker.id, rt, exit.exitCode, exit.signal).finally(resolveExited);
    });
    if (launch.typeAfterStart !== null) pty.write(`${launch.typeAfterStart}\r`);
    this.ensureActivityTimer();
    return { pid: pty.pid, command: [file, ...launch.args] };
  }

  private onOutput(id: string, rt: Runtime, data: string): void {
    for (const tap of rt.taps) tap(data);
    // One UTF-8 encoding serves the transcript and the mirror thread.
    const bytes = Buffer.from(data, 'utf8');
    this.afterFlood.output(bytes.length);
    if (!rt.transcript.write(bytes)) rt.flow.transcriptBlocked();
    rt.flow.mirrorSent(bytes.length);
    rt.mirror.write(bytes, () => {
      rt.flow.mirrorParsed(bytes.length);
      this.notifyScreen(id);
    });
    rt.lastOutputAt = this.now();
    const worker = this.state.workers[id];
    if (worker && worker.activity === 'idle') this.dispatch({ type: 'activity', id, activity: 'busy' });
    if (rt.preset.promptRules.length > 0 || (rt.preset.limitRules?.length ?? 0) > 0) {
      if (rt.promptTimer) clearTimeout(rt.promptTimer);
      rt.promptTimer = setTimeout(() => void this.checkPrompt(id, rt), PROMPT_DEBOUNCE_MS);
    }
  }

  private async checkPrompt(id: string, rt: Runtime): Promise<void> {
    rt.promptTimer = null;
    const rows = await rt.mirror.textRows();
    const worker = this.state.workers[id];
    if (!worker || this.runtimes.get(id) !== rt) return;
    // A rule with answer keys also carries the dialog's ask (src/core/permission.ts).
    const next = screenNeedsInput(rows, rt.preset.promptRules, worker.needsInput, this.now(), randomUUID);
    if (next !== undefined) this.dispatch({ type: 'needs-input', id, needsInput: next, source: 'screen' });
    if (rt.preset.limitRules) this.checkLimit(id, rt, findLimits(rows, rt.preset.limitRules, this.now()));
  }

  /**
   * A usage-limit message on the worker's screen that the deck has not seen
   * there before starts `limited` (the newest such); the limit ends when its
   * message leaves the screen (the agent went on, the operator switched
   * models). Messages stay seen until the screen shows none, so a limit that
   * ended (src/server/limits.ts) is not taken again from what is left on screen.
   */
  private checkLimit(id: string, rt: Runtime, found: UsageLimit[]): void {
    const current = this.state.workers[id]?.limit ?? null;
    if (found.length === 0) {
      rt.limitsSeen.clear();
      if (current) this.dispatch({ type: 'limit', id, limit: null });
      return;
    }
    const fresh = found.filter((limit) => !rt.limitsSeen.has(limit.text)).at(-1);
    for (const limit of found) rt.limitsSeen.add(limit.text);
    if (fresh) this.dispatch({ type: 'limit', id, limit: fresh });
    else if (current && !found.some((limit) => limit.text === current.text)) this.dispatch({ type: 'limit', id, limit: null });
  }

  /**
   * End the worker's usage limit: its reset came (src/server/limits.ts).
   * Its message, still on screen, is not taken again. `resumed`: the deck nudges it on.
   */
  endLimit(id: string, resumed: boolean): void {
    if (!this.state.workers[id]?.limit) return;
    this.dispatch({ type: 'limit', id, limit: null, resumed });
  }

  /** Look at a worker's screen for a waiting prompt now (after a permission hook gave up). */
  recheckPrompt(id: string): void {
    const rt = this.runtimes.get(id);
    if (rt && rt.preset.promptRules.length > 0) void this.checkPrompt(id, rt);
  }

  /** The screen rules of a live worker's preset; [] when it is not running. */
  promptRules(id: string): ScreenRule[] {
    return this.runtimes.get(id)?.preset.promptRules ?? [];
  }

  private notifyScreen(id: string): void {
    for (const l of this.screenListeners) l(id);
  }

  /**
   * The worker's PTY child exited. Whatever it left in its session is ended
   * too (SIGTERM and SIGHUP, SIGKILL after LEFTOVER_GRACE_MS; the deck owns
   * them), and the worker counts as ended only once its session is empty.
   */
  private async onExit(id: string, rt: Runtime, exitCode: number | null, signal: number | null): Promise<void> {
    if (rt.promptTimer) clearTimeout(rt.promptTimer);
    if (!rt.stopRequested && rt.pty.sessionPids().length > 0) rt.reaper.end(LEFTOVER_GRACE_MS);
    const stuck = await rt.reaper.whenEmpty();
    if (stuck.length > 0) this.warn(`Processes ${stuck.join(', ')} of worker ${this.state.workers[id]?.name ?? id} did not end on SIGKILL.`);
    await rt.mirror.flush();
    await rt.transcript.close();
    rt.flow.close();
    if (this.runtimes.get(id) !== rt) {
      // Not the worker's current process (cannot happen through the guards; never clobber the live one).
      rt.mirror.dispose();
      return;
    }
    this.runtimes.delete(id);
    // Keep the final screen: the mirror becomes the worker's past screen.
    this.pastScreens.get(id)?.dispose();
    this.pastScreens.set(id, rt.mirror);
    let reason: string | null = null;
    if (rt.stopCause) reason = rt.stopCause.reason;
    else if (rt.stopRequested) reason = 'stopped by the operator';
    else if (exitCode !== 0) {
      const last = (await rt.mirror.textRows())
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1);
      const how = exitCode === null ? `killed by signal ${signal}` : `exit code ${exitCode}`;
      reason = last ? `${how}: ${sanitize(last).slice(0, 200)}` : how;
    }
    const failed = rt.stopCause?.fail ? { failed: true } : {};
    this.dispatch({ type: 'worker-exited', id, exitCode, signal, stopRequested: rt.stopRequested, reason, at: this.now(), ...failed });
    this.notifyScreen(id);
  }

  /**
   * Stop a worker: SIGTERM and SIGHUP to every process of its PTY's session
   * (jobs in process groups of their own too; interactive shells ignore
   * SIGTERM, and a hangup is what ends them when a terminal closes), SIGKILL
   * to what is left after `graceMs` (ms; a shorter grace asked for later
   * wins). Its worktree and branch are kept. Resolves once no process of the
   * session is left and `worker-exited` has been dispatched. `cause`: the
   * deck's own reason (a watchdog, the server's exit) instead of "stopped by
   * the operator"; with `fail` the worker ends `failed`.
   */
  async stop(id: string, graceMs = STOP_GRACE_MS, cause: StopCause | null = null): Promise<void> {
    const rt = this.runtimes.get(id);
    if (!rt) return;
    rt.stopRequested = true;
    if (cause && !rt.stopCause) rt.stopCause = cause;
    rt.reaper.end(graceMs);
    await rt.exited;
  }

  /**
   * Remove a worker that is not running from the list. Its worktree, branch
   * and transcript are kept.
   * @throws Error when the worker is still running.
   */
  remove(id: string): void {
    const worker = this.state.workers[id];
    if (!worker) return;
    if (this.runtimes.has(id)) throw new Error(`${worker.name} is still running; stop it first (x).`);
    this.pastScreens.get(id)?.dispose();
    this.pastScreens.delete(id);
    this.dispatch({ type: 'worker-removed', id });
  }

  /**
   * Type text into a live worker's PTY as the operator: a bracketed paste
   * when the worker turned bracketed paste on, else plain text; then `\r` as
   * a separate write `submitDelayMs` later, so agent TUIs submit it. A reply to a
   * question whose `ask` call still waits (src/mail/ask-wait.ts) is handed to that call
   * as its result instead, and nothing is typed (the reply's `via` is `tool-result`).
   * @throws Error when the worker is not a live worker of this deck.
   */
  async type(id: string, text: string, kind: 'reply' | 'nudge', inReplyTo: string | null = null): Promise<OperatorReply> {
    const worker = this.state.workers[id];
    const rt = this.runtimes.get(id);
    if (!worker || !rt || !isLive(worker.status) || worker.pid !== rt.pty.pid) {
      throw new Error(`${worker?.name ?? 'That worker'} is not running in this deck; nothing was sent.`);
    }
    const gone = () => new Error(`${worker.name} exited while the reply was being typed; it was not submitted.`);
    // Operator text may hold newlines but no escapes: an ESC could end the paste early.
    const clean = sanitize(text).replace(/\n+$/, '');
    // A waiting `ask` takes the reply as its tool result; nothing is typed then.
    if (kind === 'reply' && inReplyTo) {
      const delivered = await deliverReply({ workerFiles: this.options.layout.workerFiles, workerId: id, questionId: inReplyTo, content: clean }).catch((error: Error) => {
        this.warn(`The reply to ${worker.name} could not be handed to its waiting ask (${error.message}); it is typed instead.`);
        return false;
      });
      if (delivered) return this.recordReply(id, kind, clean, inReplyTo, 'tool-result');
    }
    // Bracketed paste must be judged on everything the worker printed so far.
    await rt.mirror.flush();
    if (this.runtimes.get(id) !== rt) throw gone();
    const body = rt.mirror.bracketedPaste ? `\u001b[200~${clean}\u001b[201~` : clean.replace(/\n/g, '\r');
    rt.pty.write(body);
    const delay = Math.max(rt.preset.submitDelayMs, 50);
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.runtimes.get(id) !== rt) throw gone();
    rt.pty.write('\r');
    return this.recordReply(id, kind, clean, inReplyTo);
  }

  /** Record what the operator wrote (thread, state.json, events.jsonl); `via`: how it reached the worker when not typed. */
  private recordReply(id: string, kind: OperatorReply['kind'], content: string, inReplyTo: string | null, via?: OperatorReply['via']): OperatorReply {
    const reply: OperatorReply = { id: randomUUID(), workerId: id, kind, content, inReplyTo, timestamp: this.now(), ...(via ? { via } : {}) };
    this.dispatch({ type: 'operator-wrote', reply });
    return reply;
  }

  /**
   * The question `r` answers for a selected worker: its oldest open one, else
   * the deck's oldest open question of a live worker of this deck.
   */
  questionToAnswer(selectedId: string | null): MailMessage | null {
    const open = unansweredQuestions(this.state).filter((q) => this.runtimes.has(q.workerId));
    return open.find((q) => q.workerId === selectedId) ?? open[0] ?? null;
  }

  /** Listen to a worker's raw output (attach). Returns a function that removes the tap. */
  tap(id: string, listener: (data: string) => void): () => void {
    const rt = this.runtimes.get(id);
    if (!rt) return () => undefined;
    rt.taps.add(listener);
    return () => rt.taps.delete(listener);
  }

  /** Write raw input to a worker's PTY (attach); ignored when it is not running. */
  writeRaw(id: string, data: string): void {
    const rt = this.runtimes.get(id);
    if (!rt) return;
    rt.pty.write(data);
    // The operator is answering whatever the worker waited on.
    if (this.state.workers[id]?.needsInput) this.dispatch({ type: 'needs-input', id, needsInput: null, source: 'mail' });
  }

  /** Resolves when the worker's process has exited (immediately when it is not running). */
  whenExited(id: string): Promise<void> {
    return this.runtimes.get(id)?.exited ?? Promise.resolve();
  }

  /** The state dir's layout. */
  get layout(): StateLayout {
    return this.options.layout;
  }

  /**
   * A worker by id, else by name (the newest of that name), else by a unique
   * id prefix; undefined when none matches.
   */
  findWorker(key: string): WorkerRecord | undefined {
    const { workers, order } = this.state;
    if (workers[key]) return workers[key];
    const named = order.map((id) => workers[id]).filter((w): w is WorkerRecord => w?.name === key);
    if (named.length > 0) return named.find((w) => this.runtimes.has(w.id)) ?? named.at(-1);
    const prefixed = order.filter((id) => id.startsWith(key));
    return prefixed.length === 1 && prefixed[0] ? workers[prefixed[0]] : undefined;
  }

  /**
   * Archive the mail of a worker this deck does not know, up to `seq`: a
   * `mail-dismissed` event (state.json and events.jsonl); the files stay in mail/cur.
   * @throws Error when the worker is one of this deck's (its mail is answered, not dismissed)
   */
  dismissMail(workerId: string, seq: number): void {
    if (this.state.workers[workerId]) throw new Error(`${this.state.workers[workerId]?.name ?? workerId} is a worker of this deck; its mail is not dismissed.`);
    this.dispatch({ type: 'mail-dismissed', workerId, seq, at: this.now() });
  }

  /** The operator has seen a worker's mail up to `seq` (unread counts). */
  markSeen(workerId: string, seq: number): void {
    const worker = this.state.workers[workerId];
    if (worker && worker.seenSeq < seq) this.dispatch({ type: 'mail-seen', workerId, seq });
  }

  /** The output backlog that flow control holds back, across workers (for the bench). */
  flowStats(): FlowStats {
    return this.flow.stats();
  }

  /** Ids of workers with a live PTY. */
  runningIds(): string[] {
    return [...this.runtimes.keys()];
  }

  /**
   * Stop every worker (as `stop`, with `graceMs` in ms) and wait until none
   * of their sessions has a process left, then flush the registry. `reason`
   * is recorded on each worker (e.g. `the server stopped (SIGTERM)`).
   */
  async shutdown(graceMs = STOP_GRACE_MS, reason = 'the server stopped'): Promise<void> {
    this.closing = true;
    const cause = { reason, fail: false };
    const stopping = this.runningIds().map((id) => this.stop(id, graceMs, cause));
    this.sessions.close();
    // A spawn under way either starts its worker (stopped below) or fails.
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...stopping, ...this.runningIds().map((id) => this.stop(id, graceMs, cause))]);
    if (this.activityTimer) clearInterval(this.activityTimer);
    this.activityTimer = null;
    this.afterFlood.dispose();
    await this.options.registry.flush();
    await this.pool?.close();
    this.pool = null;
  }

  /** Last resort on process exit: SIGKILL every process of every worker's session, synchronously. */
  killAllNow(): void {
    killSessionsSync([...this.runtimes.values()].map((rt) => rt.pty));
  }

  private ensureActivityTimer(): void {
    if (this.activityTimer) return;
    this.activityTimer = setInterval(() => {
      const now = this.now();
      for (const [id, rt] of this.runtimes) {
        const worker = this.state.workers[id];
        if (worker?.activity === 'busy' && now - rt.lastOutputAt > IDLE_AFTER_MS) {
          this.dispatch({ type: 'activity', id, activity: 'idle' });
        }
      }
    }, 1000);
    this.activityTimer.unref();
  }

  private transcriptFile(id: string): string {
    return path.join(this.options.layout.transcripts, `${id}.log`);
  }

  /** A 4-hex id used by no worker in the list and by no earlier worker's files (transcript, hook state). */
  private newId(): string {
    for (;;) {
      const id = randomBytes(2).toString('hex');
      if (this.state.workers[id]) continue;
      if (existsSync(this.transcriptFile(id)) || existsSync(path.join(this.options.layout.workerFiles, id))) continue;
      return id;
    }
  }
}

/** The watchdog limits a spawn request sets for its worker, as record fields. */
function watchdogFields(request: SpawnRequest): Pick<WorkerRecord, 'watchdog'> {
  const own: { timeout?: number; idleTimeout?: number } = {};
  if (request.timeout !== undefined) own.timeout = request.timeout;
  if (request.idleTimeout !== undefined) own.idleTimeout = request.idleTimeout;
  return Object.keys(own).length > 0 ? { watchdog: own } : {};
}

/**
 * The events.jsonl lines of an event, as [type, fields]: none for events too
 * chatty to log, and one `mail-received` line per message of a `mail-batch`,
 * as if each had come alone.
 */
function eventLogLines(event: DeckEvent): [string, Record<string, unknown>][] {
  switch (event.type) {
    case 'activity':
    case 'mail-seen':
    case 'restored':
      return [];
    case 'worker-added':
      return [[event.type, { worker: event.worker }]];
    case 'mail-received':
    case 'mail-batch':
      return eventMail(event).map((message) => ['mail-received', { message }]);
    case 'operator-wrote':
      return [[event.type, { reply: event.reply, inReplyTo: event.reply.inReplyTo }]];
    case 'limit':
      return event.limit ? [['limit-reached', { id: event.id, limit: event.limit }]] : [['limit-ended', { id: event.id, resumed: event.resumed ?? false }]];
    default: {
      const { type, ...rest } = event;
      return [[type, rest]];
    }
  }
}
