/**
 * The agent's own session id for each worker, so that `R` continues that worker's
 * conversation and never another's.
 *
 * Claude and Gemini take a session id up front; opencode and Codex choose their own.
 * Their id reaches `workers/<id>/session.json` in one of two ways:
 * - a SessionStart hook (Claude, Codex) writes it through `workerdeck hook` (hook.ts);
 * - the preset's `discoverSession` finds it after the start (opencode's session list,
 *   Codex's rollout files): the `SessionTracker` runs it in the background after a spawn,
 *   and once more on resume when nothing was recorded.
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { DISCOVERED, readRecordedSession, recordSession } from './session-file.js';
import type { WorkerRecord } from '../core/worker.js';
import type { CommandRunner, Discovery, DiscoveryContext, Peer, Preset } from './preset.js';

/** Waits before each background discovery try after a spawn, in ms: about two minutes in all. */
export const DISCOVERY_DELAYS_MS = [3_000, 6_000, 12_000, 24_000, 35_000, 40_000];

/** How long one discovery command (e.g. `opencode session list`) may take, in ms. */
export const DISCOVERY_TIMEOUT_MS = 60_000;

/**
 * The production CommandRunner, on execa: argument arrays only, no shell, stdin closed,
 * a timeout and a cancel signal that kill the child.
 */
export function execaRunner(): CommandRunner {
  return async (file, args, options) => {
    const result = await execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: options.timeoutMs,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      maxBuffer: 64 * 1024 * 1024,
    });
    const name = path.basename(file);
    if (result.timedOut) return { stdout: '', stderr: `${name} took longer than ${options.timeoutMs / 1000} s`, exitCode: 124 };
    if (result.isCanceled) return { stdout: '', stderr: `${name} was cancelled`, exitCode: 130 };
    if (result.failed && result.exitCode === undefined) return { stdout: '', stderr: result.shortMessage ?? `${name} could not be run`, exitCode: 127 };
    return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
  };
}

/** One session as an agent lists it, in the agent-neutral shape `chooseSession` takes. */
export interface SessionCandidate {
  id: string;
  /** The directory the agent ran in. */
  directory: string;
  /** epoch ms */
  created: number;
  /** epoch ms: the last activity, used to pick the latest of the worker's sessions */
  updated: number;
}

/**
 * Pick the worker's own session among an agent's sessions: those in the worker's
 * directory created since the worker was spawned; the latest updated wins.
 * When one of them was created while another worker of the preset could have run in
 * that directory, the choice is refused: both look the same to the agent.
 * @param agent the CLI's name for the reasons, e.g. `opencode`
 */
export function chooseSession(candidates: SessionCandidate[], ctx: Pick<DiscoveryContext, 'directories' | 'since' | 'peers'>, agent: string): Discovery {
  const dirs = new Set(ctx.directories.map((d) => path.resolve(d)));
  const where = ctx.directories[0] ?? '';
  const mine = candidates.filter((c) => dirs.has(path.resolve(c.directory)) && c.created >= ctx.since);
  const contested = ctx.peers.filter((p) => mine.some((c) => c.created >= p.from && (p.to === null || c.created <= p.to)));
  if (contested.length > 0) {
    const names = contested.map((p) => p.name).join(', ');
    return {
      sessionId: null,
      retry: false,
      reason: `it shares ${where} with ${names} (also ${agent}), and ${agent} sessions can only be told apart by their directory. Give each worker its own worktree`,
    };
  }
  const pick = mine.sort((a, b) => b.updated - a.updated || b.created - a.created)[0];
  if (!pick) {
    return {
      sessionId: null,
      retry: true,
      reason: `${agent} has no session in ${where} from after the worker started; it may have stopped before its first message. Start a new worker instead`,
    };
  }
  return { sessionId: pick.id };
}

/** The spellings of a directory an agent may record: as given, and its real path. */
export function directorySpellings(dir: string): string[] {
  const spellings = [path.resolve(dir)];
  try {
    const real = realpathSync(dir);
    if (!spellings.includes(real)) spellings.push(real);
  } catch {
    // A removed worktree has no real path; the recorded one may still match.
  }
  return spellings;
}

export interface SessionTrackerOptions {
  /** `<state>/workers`: each worker's `session.json` lives in `<workerFiles>/<id>/`. */
  workerFiles: string;
  run: CommandRunner;
  /** The user's environment, passed to discovery commands. */
  env: NodeJS.ProcessEnv;
  /** Every worker the deck knows, to find peers in the same directory. */
  workers: () => WorkerRecord[];
  /** Waits before each background try, ms; default DISCOVERY_DELAYS_MS. */
  delaysMs?: number[];
  now?: () => number;
}

/**
 * Finds and records the agent's own session id of each worker whose preset can
 * discover it, and says which id a resume must use. It owns its timers and the
 * discovery commands under way; `close()` ends both.
 */
export class SessionTracker {
  private readonly abort = new AbortController();
  private readonly watching = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: SessionTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * After a spawn: try `preset.discoverSession` in the background (DISCOVERY_DELAYS_MS),
   * until it finds the id, a hook records one first, it says retrying cannot help, or
   * the tries run out. Never throws; nothing waits on it.
   */
  watch(worker: WorkerRecord, preset: Preset): void {
    if (!preset.discoverSession) return;
    // Best effort: a resume discovers again when this found nothing.
    const work = this.watchLoop(worker, preset).catch(() => undefined);
    this.watching.add(work);
    void work.finally(() => this.watching.delete(work));
  }

  /** Resolves when every background discovery has ended (tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.watching]);
  }

  private async watchLoop(worker: WorkerRecord, preset: Preset): Promise<void> {
    const dir = this.workerDir(worker);
    for (const delay of this.options.delaysMs ?? DISCOVERY_DELAYS_MS) {
      try {
        await sleep(delay, undefined, { signal: this.abort.signal, ref: false });
      } catch {
        return;
      }
      // A hook (Codex SessionStart) knows better than any discovery.
      if (readRecordedSession(dir)) return;
      const found = await this.discover(worker, preset);
      if (this.abort.signal.aborted) return;
      if (found.sessionId !== null) {
        if (!readRecordedSession(dir)) await recordSession(dir, { sessionId: found.sessionId, source: DISCOVERED, at: this.now() });
        return;
      }
      if (!found.retry) return;
    }
  }

  /**
   * The session id a resume of `worker` must use.
   * - Presets that cannot discover (Claude, Gemini, commands): the id the agent
   *   reported, else the one the deck gave the worker.
   * - opencode and Codex: the recorded id; with none, a discovery now (recorded when
   *   found). A discovered id of a worker in its own worktree is discovered again, so
   *   that `R` follows a session the worker started later; the record stays the
   *   answer when that fails.
   * @throws Error with a sentence (`Cannot resume <name>: …`) when no id of the
   *   worker's own can be found; the resume must not fall back to the agent's "latest".
   */
  async forResume(worker: WorkerRecord, preset: Preset): Promise<string> {
    const dir = this.workerDir(worker);
    const recorded = readRecordedSession(dir);
    if (!preset.discoverSession) return recorded?.sessionId ?? worker.sessionId ?? randomUUID();
    const refresh = recorded === null || (recorded.source === DISCOVERED && worker.worktree !== null);
    if (recorded && !refresh) return recorded.sessionId;
    const found = await this.discover(worker, preset);
    if (found.sessionId !== null) {
      if (found.sessionId !== recorded?.sessionId) await recordSession(dir, { sessionId: found.sessionId, source: DISCOVERED, at: this.now() });
      return found.sessionId;
    }
    if (recorded) return recorded.sessionId;
    throw new Error(`Cannot resume ${worker.name}: ${found.reason}.`);
  }

  /** End the background discoveries: timers stop and running commands are killed. */
  close(): void {
    this.abort.abort();
  }

  private async discover(worker: WorkerRecord, preset: Preset): Promise<Discovery> {
    const directories = directorySpellings(worker.cwd);
    const peers = this.peersOf(worker, directories);
    const ctx: DiscoveryContext = {
      workerId: worker.id,
      name: worker.name,
      directories,
      worktree: worker.worktree,
      since: worker.createdAt,
      peers,
      env: this.options.env,
      run: this.options.run,
      signal: this.abort.signal,
    };
    try {
      return await preset.discoverSession!(ctx);
    } catch (error) {
      return { sessionId: null, retry: true, reason: (error as Error).message };
    }
  }

  /** Other workers of the same preset whose cwd is one of `directories`. */
  private peersOf(worker: WorkerRecord, directories: string[]): Peer[] {
    return this.options
      .workers()
      .filter((w) => w.id !== worker.id && w.agent === worker.agent && directorySpellings(w.cwd).some((d) => directories.includes(d)))
      .map((w) => ({ name: w.name, from: w.createdAt, to: w.endedAt }));
  }

  private workerDir(worker: WorkerRecord): string {
    return path.join(this.options.workerFiles, worker.id);
  }
}
