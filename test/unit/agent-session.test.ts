/**
 * The agent's own session id: parsing what opencode and Codex record, choosing the
 * worker's session among them, and the tracker that records it and answers resumes.
 * Commands go through an injected CommandRunner; files are real files in temp dirs.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudePreset } from '../../src/agents/claude.js';
import { codexPreset, discoverCodexSession, listCodexRollouts, readRolloutSession } from '../../src/agents/codex.js';
import { OPENCODE_LIST_ARGS, opencodePreset, parseOpencodeSessions } from '../../src/agents/opencode.js';
import type { CommandResult, CommandRunner, DiscoveryContext, Peer } from '../../src/agents/preset.js';
import { DISCOVERED, readRecordedSession, recordSession } from '../../src/agents/session-file.js';
import { chooseSession, SessionTracker, type SessionCandidate } from '../../src/agents/session.js';
import { newWorkerRecord, type WorkerRecord } from '../../src/core/worker.js';
import { tempDir } from '../helpers/git-repo.js';

const T0 = 1_796_057_000_000;

/**
 * `opencode session list --format json` as opencode 1.18.33 printed it for two worktrees
 * of one repo (ids, times and project id as printed; the directories renamed). Both are
 * listed from either worktree: the worktrees of a repo are one opencode project.
 */
const OPENCODE_LIST = `[
  {
    "id": "ses_dd2a3cad9ffeY77NlDPsQb0p3W",
    "title": "New session - 2026-11-30T16:49:07.367Z",
    "updated": 1796057364548,
    "created": 1796057347367,
    "projectId": "bd4fff15239ccf76416f620af126b39be0ce3e71",
    "directory": "/repo/.worktrees/b-2222"
  },
  {
    "id": "ses_dd2a4d66effe3aNd7dIWR9LPe0",
    "title": "New session - 2026-11-30T16:47:58.866Z",
    "updated": 1796057294717,
    "created": 1796057278866,
    "projectId": "bd4fff15239ccf76416f620af126b39be0ce3e71",
    "directory": "/repo/.worktrees/a-1111"
  }
]
`;
const A_SESSION = 'ses_dd2a4d66effe3aNd7dIWR9LPe0';
const B_SESSION = 'ses_dd2a3cad9ffeY77NlDPsQb0p3W';

function candidate(id: string, directory: string, created: number, updated = created): SessionCandidate {
  return { id, directory, created, updated };
}

describe('parseOpencodeSessions', () => {
  it('reads id, directory and times from the real output format', () => {
    expect(parseOpencodeSessions(OPENCODE_LIST)).toEqual([
      { id: B_SESSION, directory: '/repo/.worktrees/b-2222', created: 1796057347367, updated: 1796057364548 },
      { id: A_SESSION, directory: '/repo/.worktrees/a-1111', created: 1796057278866, updated: 1796057294717 },
    ]);
  });

  it('takes no output as no session (opencode prints nothing then), skips odd entries, refuses non-JSON', () => {
    expect(parseOpencodeSessions('')).toEqual([]);
    expect(parseOpencodeSessions('\n')).toEqual([]);
    const odd = JSON.stringify([
      { id: 'not-an-opencode-id', directory: '/r', created: 1, updated: 1 },
      { id: 'ses_abcdefgh1234', directory: '/r', created: '1', updated: 1 },
      null,
      { id: 'ses_abcdefgh5678', directory: '/r', created: 5, updated: 6 },
    ]);
    expect(parseOpencodeSessions(odd)).toEqual([{ id: 'ses_abcdefgh5678', directory: '/r', created: 5, updated: 6 }]);
    expect(() => parseOpencodeSessions('Error: no database')).toThrow(/did not print JSON: Error: no database/);
    expect(() => parseOpencodeSessions('{"id":1}')).toThrow(/did not print a JSON array/);
  });
});

describe('chooseSession', () => {
  const where = (dir: string, peers: Peer[] = []) => ({ directories: [dir], since: T0, peers });

  it("picks the worker's own directory, not the project's newest session (the bug behind --continue)", () => {
    const sessions = parseOpencodeSessions(OPENCODE_LIST);
    // B's session is the project's newest; A's worktree has its own.
    expect(chooseSession(sessions, where('/repo/.worktrees/a-1111'), 'opencode')).toEqual({ sessionId: A_SESSION });
    expect(chooseSession(sessions, where('/repo/.worktrees/b-2222'), 'opencode')).toEqual({ sessionId: B_SESSION });
  });

  it('ignores sessions from before the worker started, and picks the latest updated of its own', () => {
    const dir = '/repo/.worktrees/a-1111';
    const sessions = [candidate('ses_old0000000', dir, T0 - 1), candidate('ses_first00000', dir, T0 + 10, T0 + 500), candidate('ses_second0000', dir, T0 + 100, T0 + 200)];
    expect(chooseSession(sessions, where(dir), 'opencode')).toEqual({ sessionId: 'ses_first00000' });
    const none = chooseSession([candidate('ses_old0000000', dir, T0 - 1)], where(dir), 'opencode');
    expect(none).toEqual({ sessionId: null, retry: true, reason: expect.stringMatching(/^opencode has no session in \/repo\/\.worktrees\/a-1111 from after the worker started/) });
  });

  it('matches any spelling of the directory and nothing outside it', () => {
    const sessions = [candidate('ses_real000000', '/real/repo', T0 + 1), candidate('ses_sub0000000', '/real/repo/sub', T0 + 2)];
    expect(chooseSession(sessions, { directories: ['/link/repo', '/real/repo'], since: T0, peers: [] }, 'opencode')).toEqual({ sessionId: 'ses_real000000' });
  });

  it('refuses when a session was created while another worker of the preset could run in the same directory', () => {
    const dir = '/repo';
    const sessions = [candidate('ses_mine000000', dir, T0 + 10), candidate('ses_theirs0000', dir, T0 + 20)];
    const result = chooseSession(sessions, where(dir, [{ name: 'docs', from: T0 + 5, to: null }]), 'opencode');
    expect(result).toEqual({
      sessionId: null,
      retry: false,
      reason: 'it shares /repo with docs (also opencode), and opencode sessions can only be told apart by their directory. Give each worker its own worktree',
    });
  });

  it('does not count a peer whose life did not touch the sessions', () => {
    const dir = '/repo';
    // docs ran and ended before this worker's session; api starts after it.
    const peers = [
      { name: 'docs', from: T0 - 1000, to: T0 + 5 },
      { name: 'api', from: T0 + 50, to: null },
    ];
    expect(chooseSession([candidate('ses_mine000000', dir, T0 + 10)], where(dir, peers), 'opencode')).toEqual({ sessionId: 'ses_mine000000' });
    expect(chooseSession([candidate('ses_mine000000', dir, T0 + 10), candidate('ses_later00000', dir, T0 + 60)], where(dir, peers), 'opencode')).toMatchObject({ sessionId: null, retry: false });
  });
});

/** A CommandRunner that answers from a queue and records every call. */
function fakeRunner(answers: (CommandResult | ((call: Call) => CommandResult))[]): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (file, args, options) => {
    const call = { file, args, cwd: options.cwd, env: options.env, timeoutMs: options.timeoutMs };
    calls.push(call);
    const next = answers.length > 1 ? answers.shift()! : answers[0];
    if (!next) throw new Error('no answer queued');
    return typeof next === 'function' ? next(call) : next;
  };
  return { run, calls };
}
interface Call {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });

function discoveryContext(run: CommandRunner, fields: Partial<DiscoveryContext> = {}): DiscoveryContext {
  return { workerId: 'a1', name: 'a', directories: ['/repo/.worktrees/a-1111'], worktree: '/repo/.worktrees/a-1111', since: T0, peers: [], env: { HOME: '/home/me' }, run, ...fields };
}

describe('opencode discoverSession', () => {
  it('runs `opencode session list --format json --pure` in the worker directory with the preset env', async () => {
    const { run, calls } = fakeRunner([ok(OPENCODE_LIST)]);
    const preset = opencodePreset({ command: '/opt/opencode', env: { XDG_DATA_HOME: '/data' } });
    expect(await preset.discoverSession!(discoveryContext(run))).toEqual({ sessionId: A_SESSION });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ file: '/opt/opencode', args: ['session', 'list', '--format', 'json', '--pure'], cwd: '/repo/.worktrees/a-1111' });
    expect(OPENCODE_LIST_ARGS).toEqual(calls[0]!.args);
    expect(calls[0]!.env).toMatchObject({ HOME: '/home/me', XDG_DATA_HOME: '/data', OPENCODE_DISABLE_MODELS_FETCH: '1' });
    expect(calls[0]!.timeoutMs).toBeGreaterThan(0);
  });

  it('says why when the command fails, and may be retried', async () => {
    const { run } = fakeRunner([{ stdout: '', stderr: 'INFO boot\n\u001b[31mError: database is locked\u001b[0m\n', exitCode: 1 }]);
    expect(await opencodePreset(undefined).discoverSession!(discoveryContext(run))).toEqual({
      sessionId: null,
      retry: true,
      reason: '"opencode session list --format json --pure" failed: Error: database is locked',
    });
  });
});

/** One line a rollout file starts with, as codex 0.169.0 wrote it (base_instructions shortened). */
function sessionMeta(id: string, cwd: string, at: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    timestamp: new Date(at).toISOString(),
    ordinal: 0,
    type: 'session_meta',
    payload: {
      account_scoped: true,
      session_id: id,
      id,
      timestamp: new Date(at).toISOString(),
      cwd,
      runtime_workspace_roots: [cwd],
      originator: 'codex-tui',
      cli_version: '0.169.0',
      source: 'cli',
      thread_source: 'user',
      model_provider: 'openai',
      base_instructions: { text: 'You are Codex, an agent based on GPT-6. '.repeat(600) },
      history_mode: 'paginated',
      git: {},
      ...extra,
    },
  });
}

describe('Codex rollout files', () => {
  let cleanup = () => undefined as void;
  afterEach(() => cleanup());

  /** Write `<home>/sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl` for a session started at `at` (UTC dirs), mtime `at`. */
  function rollout(home: string, id: string, cwd: string, at: number, extra: Record<string, unknown> = {}): string {
    const d = new Date(at);
    const dir = path.join(home, 'sessions', String(d.getUTCFullYear()), String(d.getUTCMonth() + 1).padStart(2, '0'), String(d.getUTCDate()).padStart(2, '0'));
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `rollout-${d.toISOString().slice(0, 19).replace(/:/g, '-')}-${id}.jsonl`);
    writeFileSync(file, `${sessionMeta(id, cwd, at, extra)}\n{"timestamp":"x","type":"event_msg","payload":{}}\n`);
    utimesSync(file, new Date(at), new Date(at));
    return file;
  }

  it('reads the session from the first line only, and skips exec and sub-agent sessions', async () => {
    const t = tempDir('wd-codex-');
    cleanup = t.cleanup;
    const id = '01a22d84-4433-79d0-b971-e5f1f75b704c';
    const file = rollout(t.dir, id, '/repo/.worktrees/a-1111', T0 + 1000);
    expect(await readRolloutSession(file)).toEqual({ id, directory: '/repo/.worktrees/a-1111', created: T0 + 1000, updated: T0 + 1000 });
    expect(await readRolloutSession(rollout(t.dir, '01a22d8a-4232-7421-99c8-01c54e34eb72', '/r', T0, { source: 'exec' }))).toBeNull();
    expect(await readRolloutSession(rollout(t.dir, '01a22d8a-4232-7421-99c8-01c54e34eb73', '/r', T0, { thread_source: 'subagent' }))).toBeNull();
    writeFileSync(path.join(t.dir, 'broken.jsonl'), '{"type":"session_meta","payload":');
    expect(await readRolloutSession(path.join(t.dir, 'broken.jsonl'))).toBeNull();
    expect(await readRolloutSession(path.join(t.dir, 'missing.jsonl'))).toBeNull();
  });

  it("finds the worker's session among today's and yesterday's rollouts, and only those written since it started", async () => {
    const t = tempDir('wd-codex-');
    cleanup = t.cleanup;
    const since = Date.UTC(2026, 10, 30, 23, 50);
    const mine = '01a22d84-4433-79d0-b971-e5f1f75b7001';
    rollout(t.dir, '01a22d84-4433-79d0-b971-e5f1f75b7000', '/repo/.worktrees/a-1111', since - 60_000);
    rollout(t.dir, mine, '/repo/.worktrees/a-1111', since + 60_000);
    // The next day, in another worktree: newer, but not this worker's.
    rollout(t.dir, '01a22d84-4433-79d0-b971-e5f1f75b7002', '/repo/.worktrees/b-2222', since + 20 * 60_000);
    const now = since + 30 * 60_000;
    expect((await listCodexRollouts(t.dir, since, now)).map((f) => path.basename(f)).sort()).toHaveLength(2);
    const ctx = discoveryContext(fakeRunner([]).run, { since, env: { CODEX_HOME: t.dir } });
    expect(await discoverCodexSession(ctx, {}, now)).toEqual({ sessionId: mine });
    // The preset's env wins over the user's for CODEX_HOME.
    expect(await discoverCodexSession({ ...ctx, env: { CODEX_HOME: '/nowhere' } }, { CODEX_HOME: t.dir }, now)).toEqual({ sessionId: mine });
    expect(await discoverCodexSession({ ...ctx, env: { HOME: t.dir } }, {}, now)).toMatchObject({ sessionId: null, retry: true });
  });
});

describe('SessionTracker', () => {
  let cleanup = () => undefined as void;
  afterEach(() => cleanup());

  function setup(answers: Parameters<typeof fakeRunner>[0], delaysMs = [0, 0, 0]) {
    const t = tempDir('wd-tracker-');
    cleanup = t.cleanup;
    const workers: WorkerRecord[] = [];
    const runner = fakeRunner(answers);
    const tracker = new SessionTracker({ workerFiles: t.dir, run: runner.run, env: {}, workers: () => workers, delaysMs, now: () => T0 + 99 });
    const add = (fields: Partial<WorkerRecord> & { id: string; name: string }) => {
      const worker = newWorkerRecord({ agent: 'opencode', cwd: `/repo/.worktrees/${fields.name}`, worktree: `/repo/.worktrees/${fields.name}`, createdAt: T0, sessionId: '0b5c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f', ...fields });
      workers.push(worker);
      return worker;
    };
    return { dir: t.dir, tracker, calls: runner.calls, add };
  }
  const list = (...sessions: SessionCandidate[]) => ok(JSON.stringify(sessions.map((s) => ({ ...s, title: 't', projectId: 'p' }))));

  it('records the session in the background once opencode has made it', async () => {
    const { dir, tracker, calls, add } = setup([list(), list(candidate('ses_aaaaaaaa1111', '/repo/.worktrees/a', T0 + 5))]);
    const a = add({ id: 'a1', name: 'a' });
    tracker.watch(a, opencodePreset(undefined));
    await tracker.settled();
    expect(calls).toHaveLength(2);
    expect(readRecordedSession(path.join(dir, 'a1'))).toEqual({ sessionId: 'ses_aaaaaaaa1111', source: DISCOVERED, at: T0 + 99 });
  });

  it('stops when a hook recorded the session first, and when the directory is shared', async () => {
    const first = setup([list(candidate('ses_aaaaaaaa1111', '/repo/.worktrees/a', T0 + 5))]);
    const a = first.add({ id: 'a1', name: 'a' });
    await recordSession(path.join(first.dir, 'a1'), { sessionId: '01a22d84-4433-79d0-b971-e5f1f75b704c', source: 'startup', at: T0 + 1 });
    first.tracker.watch(a, codexPreset(undefined));
    await first.tracker.settled();
    expect(readRecordedSession(path.join(first.dir, 'a1'))?.source).toBe('startup');
    cleanup();

    const shared = setup([list(candidate('ses_aaaaaaaa1111', '/repo', T0 + 5))]);
    const x = shared.add({ id: 'x1', name: 'x', cwd: '/repo', worktree: null });
    shared.add({ id: 'y1', name: 'y', cwd: '/repo', worktree: null, createdAt: T0 + 1 });
    shared.tracker.watch(x, opencodePreset(undefined));
    await shared.tracker.settled();
    // Refused once: retrying cannot tell them apart either.
    expect(shared.calls).toHaveLength(1);
    expect(readRecordedSession(path.join(shared.dir, 'x1'))).toBeNull();
  });

  it('gives up after its tries, and close() ends the waiting at once', async () => {
    const tries = setup([list()], [0, 0]);
    tries.tracker.watch(tries.add({ id: 'a1', name: 'a' }), opencodePreset(undefined));
    await tries.tracker.settled();
    expect(tries.calls).toHaveLength(2);
    cleanup();

    const closing = setup([list(candidate('ses_aaaaaaaa1111', '/repo/.worktrees/a', T0 + 5))], [3_600_000]);
    closing.tracker.watch(closing.add({ id: 'a1', name: 'a' }), opencodePreset(undefined));
    closing.tracker.close();
    await closing.tracker.settled();
    expect(closing.calls).toHaveLength(0);
  });

  it('resumes a recorded id without asking opencode when the worker has no worktree of its own', async () => {
    const { dir, tracker, calls, add } = setup([list()]);
    const a = add({ id: 'a1', name: 'a', cwd: '/repo', worktree: null });
    await recordSession(path.join(dir, 'a1'), { sessionId: 'ses_aaaaaaaa1111', source: DISCOVERED, at: T0 + 1 });
    expect(await tracker.forResume(a, opencodePreset(undefined))).toBe('ses_aaaaaaaa1111');
    expect(calls).toHaveLength(0);
  });

  it('discovers on resume when nothing was recorded, and records it', async () => {
    const { dir, tracker, add } = setup([list(candidate('ses_bbbbbbbb2222', '/repo/.worktrees/b', T0 + 9), candidate('ses_aaaaaaaa1111', '/repo/.worktrees/a', T0 + 5))]);
    const a = add({ id: 'a1', name: 'a' });
    add({ id: 'b1', name: 'b' });
    expect(await tracker.forResume(a, opencodePreset(undefined))).toBe('ses_aaaaaaaa1111');
    expect(readRecordedSession(path.join(dir, 'a1'))?.sessionId).toBe('ses_aaaaaaaa1111');
  });

  it("follows a later session of a worker in its own worktree, and keeps the record when opencode cannot answer", async () => {
    const { dir, tracker, add } = setup([
      list(candidate('ses_aaaaaaaa1111', '/repo/.worktrees/a', T0 + 5, T0 + 6), candidate('ses_aaaaaaaa2222', '/repo/.worktrees/a', T0 + 50, T0 + 60)),
      { stdout: '', stderr: 'opencode took longer than 60 s', exitCode: 124 },
    ]);
    const a = add({ id: 'a1', name: 'a' });
    await recordSession(path.join(dir, 'a1'), { sessionId: 'ses_aaaaaaaa1111', source: DISCOVERED, at: T0 + 7 });
    expect(await tracker.forResume(a, opencodePreset(undefined))).toBe('ses_aaaaaaaa2222');
    expect(readRecordedSession(path.join(dir, 'a1'))?.sessionId).toBe('ses_aaaaaaaa2222');
    expect(await tracker.forResume(a, opencodePreset(undefined))).toBe('ses_aaaaaaaa2222');
  });

  it('refuses with a sentence instead of opening another worker’s session', async () => {
    const { tracker, add } = setup([list(candidate('ses_aaaaaaaa1111', '/repo', T0 + 5), candidate('ses_bbbbbbbb2222', '/repo', T0 + 6))]);
    const x = add({ id: 'x1', name: 'x', cwd: '/repo', worktree: null });
    add({ id: 'y1', name: 'y', cwd: '/repo', worktree: null, createdAt: T0 + 1 });
    await expect(tracker.forResume(x, opencodePreset(undefined))).rejects.toThrow(
      'Cannot resume x: it shares /repo with y (also opencode), and opencode sessions can only be told apart by their directory. Give each worker its own worktree.',
    );
    const { tracker: empty, add: addEmpty } = setup([list()]);
    await expect(empty.forResume(addEmpty({ id: 'a1', name: 'a' }), opencodePreset(undefined))).rejects.toThrow(
      /^Cannot resume a: opencode has no session in \/repo\/\.worktrees\/a from after the worker started; it may have stopped before its first message\. Start a new worker instead\.$/,
    );
  });

  it("keeps Claude's way: the id its hook reported, else the one the deck gave it", async () => {
    const { dir, tracker, calls, add } = setup([list()]);
    const c = add({ id: 'c1', name: 'c', agent: 'claude' });
    expect(await tracker.forResume(c, claudePreset(undefined))).toBe('0b5c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f');
    await recordSession(path.join(dir, 'c1'), { sessionId: '7d1c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f', source: 'clear', at: T0 + 1 });
    expect(await tracker.forResume(c, claudePreset(undefined))).toBe('7d1c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f');
    expect(calls).toHaveLength(0);
    // Claude has no discovery: watch does nothing.
    tracker.watch(c, claudePreset(undefined));
    await tracker.settled();
    expect(calls).toHaveLength(0);
  });
});
