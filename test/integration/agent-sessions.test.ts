/**
 * Session discovery against the pinned agent CLIs in node_modules/.bin, each in a
 * throwaway HOME, with no model and no network:
 * - opencode 1.18.33: sessions are made with `opencode import` (a session file, no model
 *   call) in two worktrees of one repo, then found with the real `session list`.
 * - codex 0.169.0: the worker's launch in a real PTY, its task auto-submitted to a model
 *   provider on a closed local port; its SessionStart hook (trusted by hash, no dialog)
 *   records the id through the real `workerdeck hook session`, and the rollout scan
 *   finds the same id.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { codexPreset, discoverCodexSession } from '../../src/agents/codex.js';
import { discoverOpencodeSession, OPENCODE_LIST_ARGS, parseOpencodeSessions } from '../../src/agents/opencode.js';
import type { DiscoveryContext, LaunchContext } from '../../src/agents/preset.js';
import { readRecordedSession } from '../../src/agents/session-file.js';
import { execaRunner } from '../../src/agents/session.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { prepareStateDir } from '../../src/registry/state-dir.js';
import { processGone, trackResources } from '../helpers/deck.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';
import { BIN, ROOT, waitFor } from '../helpers/term.js';

const run = promisify(execFile);
const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');
const { cleanups, pids } = trackResources();

/** An env whose HOME, XDG dirs and CODEX_HOME all live in `home`. */
function isolatedEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WORKERDECK_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    CODEX_HOME: path.join(home, '.codex'),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    NO_COLOR: '1',
  };
}

describe('opencode session list (real binary)', () => {
  it("finds each worktree's own session, though the repo's worktrees share one project", { timeout: 300_000 }, async () => {
    const repo = tempRepo('wd-oc-repo-');
    const home = tempDir('wd-oc-home-');
    cleanups.push(() => {
      repo.cleanup();
      home.cleanup();
    });
    const a = path.join(repo.dir, '.worktrees', 'a-1111');
    const b = path.join(repo.dir, '.worktrees', 'b-2222');
    repo.git('worktree', 'add', '-q', '-b', 'worker/a-1111', a);
    repo.git('worktree', 'add', '-q', '-b', 'worker/b-2222', b);
    const env = isolatedEnv(home.dir);
    const opencode = path.join(NODE_BIN, 'opencode');
    const since = Date.now() - 60_000;
    // `opencode import` keeps a session's id and times and puts it in the importing directory.
    const session = (id: string, title: string, at: number) => JSON.stringify({ info: { id, slug: title, title, version: '1.18.33', time: { created: at, updated: at } }, messages: [] });
    const imports: [string, string, number][] = [
      ['ses_0a0000000000000000000001', a, since + 1_000],
      // b's session is the project's newest: what `--continue` would open, from a as well.
      ['ses_0b0000000000000000000002', b, since + 2_000],
    ];
    for (const [id, dir, at] of imports) {
      const file = path.join(home.dir, `${id}.json`);
      writeFileSync(file, session(id, path.basename(dir), at));
      await run(opencode, ['import', file], { cwd: dir, env, timeout: 120_000 });
    }

    const listed = await run(opencode, OPENCODE_LIST_ARGS, { cwd: a, env, timeout: 120_000 });
    const sessions = parseOpencodeSessions(listed.stdout);
    expect(sessions.map((s) => [s.id, s.directory])).toEqual([
      ['ses_0b0000000000000000000002', b],
      ['ses_0a0000000000000000000001', a],
    ]);

    const ctx = (dir: string, fields: Partial<DiscoveryContext> = {}): DiscoveryContext => ({
      workerId: 'w',
      name: path.basename(dir),
      directories: [dir],
      worktree: dir,
      since,
      peers: [],
      env,
      run: execaRunner(),
      ...fields,
    });
    expect(await discoverOpencodeSession(ctx(a), opencode, {})).toEqual({ sessionId: 'ses_0a0000000000000000000001' });
    expect(await discoverOpencodeSession(ctx(b), opencode, {})).toEqual({ sessionId: 'ses_0b0000000000000000000002' });
    // A worker started after both sessions has none of its own yet.
    expect(await discoverOpencodeSession(ctx(a, { since: since + 5_000 }), opencode, {})).toMatchObject({ sessionId: null, retry: true });
  });
});

describe('codex SessionStart hook and rollout files (real binary, real PTY)', () => {
  it("records the worker's own session id without a trust dialog, and the rollout scan agrees", { timeout: 300_000 }, async () => {
    const home = tempDir('wd-cx-home-');
    const worktree = tempRepo('wd-cx-wt-');
    const state = tempDir('wd-cx-state-');
    cleanups.push(() => {
      home.cleanup();
      worktree.cleanup();
      state.cleanup();
    });
    const env = isolatedEnv(home.dir);
    mkdirSync(env.CODEX_HOME!, { recursive: true });
    const codex = path.join(NODE_BIN, 'codex');
    await new Promise<void>((resolve, reject) => {
      const child = execFile(codex, ['login', '--with-api-key'], { env, timeout: 60_000 }, (error) => (error ? reject(error) : resolve()));
      child.stdin?.end('sk-fake-key-for-tests\n');
    });
    const layout = await prepareStateDir(state.dir);
    // The launcher the deck writes: the built CLI, so the hook runs the real `workerdeck hook session`.
    const launcher = path.join(layout.binDir, 'workerdeck');
    writeFileSync(launcher, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    const ctx: LaunchContext = {
      askWait: 0,
      workerId: 'c0de',
      name: 'cx',
      task: 'say hello',
      sessionId: '00000000-0000-4000-8000-000000000000',
      cwd: worktree.dir,
      worktree: worktree.dir,
      branch: 'main',
      stateDir: layout.dir,
      launcher,
      workerDir: path.join(layout.workerFiles, 'c0de'),
      instructions: 'Be brief.',
      skipPermissions: false,
      env,
    };
    // No model: the provider is a closed local port, and no update check.
    const preset = codexPreset({
      command: codex,
      args: [
        '-c', 'check_for_update_on_startup=false',
        '-c', 'model_providers.closed={name="closed",base_url="http://127.0.0.1:9/v1",wire_api="responses"}',
        '-c', 'model_provider=closed',
      ],
    });
    const launch = preset.launch(ctx);
    expect(launch.args).not.toContain('--dangerously-bypass-hook-trust');
    const since = Date.now();
    const pty = spawnNodePty({
      file: codex,
      args: launch.args,
      cwd: worktree.dir,
      env: { ...env, ...launch.env, WORKERDECK_WORKER_ID: ctx.workerId, WORKERDECK_STATE_DIR: layout.dir, TERM: 'xterm-256color' },
      cols: 120,
      rows: 40,
    });
    pids.push(pty.pid);
    let screen = '';
    pty.onData((data) => {
      screen = (screen + data).slice(-200_000);
    });
    cleanups.push(async () => {
      pty.killSession('SIGKILL');
      await waitFor(() => processGone(pty.pid), 'codex to end', 10_000);
    });

    const recorded = (await waitFor(() => readRecordedSession(ctx.workerDir), 'the SessionStart hook to record the session', 180_000, () => screen.slice(-2000)))!;
    expect(screen).not.toMatch(/Hooks need review/);
    expect(recorded.source).toBe('startup');
    // The id is the one Codex named its rollout file after.
    const day = readdirSync(path.join(env.CODEX_HOME!, 'sessions'), { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl'));
    expect(day).toHaveLength(1);
    expect(day[0]).toContain(recorded.sessionId);
    // And the rollout scan, the way back for a worker whose hook did not run, finds the same.
    const discovery = await discoverCodexSession(
      { workerId: 'c0de', name: 'cx', directories: [worktree.dir], worktree: worktree.dir, since, peers: [], env, run: execaRunner() },
      {},
    );
    expect(discovery).toEqual({ sessionId: recorded.sessionId });
    expect(existsSync(path.join(ctx.workerDir, 'turn.json'))).toBe(false);
    expect(preset.resume!({ ...ctx, sessionId: recorded.sessionId }).args.slice(0, 2)).toEqual(['resume', recorded.sessionId]);
  });
});
