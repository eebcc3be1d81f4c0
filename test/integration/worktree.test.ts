import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SpawnError } from '../../src/deck.js';
import { execaGit } from '../../src/git/git.js';
import { repoInfo } from '../../src/git/worktree.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { loadState } from '../../src/registry/registry.js';
import { makeDeck, request, screenText, testPresets, waitForScreen, trackResources } from '../helpers/deck.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';


/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

async function repoDeck() {
  const repo = tempRepo();
  const info = await repoInfo(execaGit(), repo.dir);
  expect(info).not.toBeNull();
  const presets = testPresets({
    pwd: { command: '/bin/sh', args: ['-c', 'pwd; git rev-parse --abbrev-ref HEAD; sleep 100'] },
    bogus: { command: 'workerdeck-no-such-command-xyz' },
  });
  const made = await makeDeck({ stateDir: path.join(info!.commonDir, 'workerdeck'), cwd: repo.dir, spawner: spawnNodePty, presets, repo: info, mirrors: 'pool' });
  cleanups.push(async () => {
    await made.deck.shutdown(500);
    await made.registry.flush();
    repo.cleanup();
  });
  return { ...made, repo, info: info! };
}

describe('worktrees through Deck.spawn', () => {
  it('creates .worktrees/<name>-<id> on branch worker/<name>-<id>, excluded from git status', async () => {
    const { deck, repo } = await repoDeck();
    const worker = await deck.spawn(request({ agent: 'pwd', name: 'api', worktree: true }));
    pids.push(worker.pid!);
    const slug = `api-${worker.id}`;
    const dir = path.join(repo.dir, '.worktrees', slug);
    expect(worker).toMatchObject({ worktree: dir, cwd: dir, branch: `worker/${slug}`, base: 'main', repo: repo.dir });
    expect(repo.git('worktree', 'list', '--porcelain')).toContain(`worktree ${dir}\n`);
    expect(repo.git('rev-parse', '--verify', `refs/heads/worker/${slug}`).trim()).toBe(repo.git('rev-parse', 'main').trim());
    expect(readFileSync(path.join(repo.dir, '.git', 'info', 'exclude'), 'utf8').split('\n')).toContain('.worktrees/');
    expect(repo.git('status', '--porcelain')).toBe('');
    // The worker runs inside its worktree, on its branch.
    await waitForScreen(deck, worker.id, new RegExp(`worker/${slug}`), 'the worker to print its cwd and branch');
    expect(await screenText(deck, worker.id)).toContain(dir);
  });

  it('rolls back a spawn whose command does not exist: no worktree dir, no branch, no worker in state.json', async () => {
    const { deck, repo, registry, layout } = await repoDeck();
    const kept = await deck.spawn(request({ agent: 'pwd', name: 'kept', worktree: true }));
    pids.push(kept.pid!);
    const error = await deck.spawn(request({ agent: 'bogus', name: 'doomed', worktree: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as Error).message).toMatch(/^Command not found: "workerdeck-no-such-command-xyz"/);
    expect(readdirSync(path.join(repo.dir, '.worktrees'))).toEqual([`kept-${kept.id}`]);
    expect(repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/worker/').trim()).toBe(`worker/kept-${kept.id}`);
    expect(repo.git('worktree', 'list', '--porcelain')).not.toContain('doomed');
    expect(Object.values(deck.getState().workers).map((w) => w.name)).toEqual(['kept']);
    await registry.flush();
    const saved = await loadState(layout.stateFile);
    expect(saved?.workers.map((w) => w.name)).toEqual(['kept']);
    // The failure is in the audit log.
    const events = readFileSync(layout.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; name?: string });
    expect(events.some((e) => e.type === 'spawn-failed' && e.name === 'doomed')).toBe(true);
  });

  it('rolls back when the preset cannot build a command', async () => {
    const { deck, repo } = await repoDeck();
    deck.presets.set('empty', (await import('../../src/agents/shell.js')).commandPreset('empty', {}));
    await expect(deck.spawn(request({ agent: 'empty', name: 'nocmd', worktree: true }))).rejects.toThrow(/The empty preset has no command/);
    expect(existsSync(path.join(repo.dir, '.worktrees')) ? readdirSync(path.join(repo.dir, '.worktrees')) : []).toEqual([]);
    expect(repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/worker/').trim()).toBe('');
    expect(deck.getState().order).toEqual([]);
  });

  it('refuses an unknown base with a sentence, leaving nothing behind', async () => {
    const { deck, repo } = await repoDeck();
    await expect(deck.spawn(request({ agent: 'pwd', name: 'based', worktree: true, base: 'no-such-branch' }))).rejects.toThrow(
      'Cannot create worktree: base "no-such-branch" is not a branch or commit here.',
    );
    expect(repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/worker/').trim()).toBe('');
    expect(deck.getState().order).toEqual([]);
  });

  it('refuses a worktree outside a git repository with a clear message', async () => {
    const cwd = tempDir('wd-norepo-');
    const state = tempDir('wd-norepo-state-');
    const { deck, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets: testPresets(), repo: null, mirrors: 'pool' });
    cleanups.push(async () => {
      await deck.shutdown(500);
      await registry.flush();
      cwd.cleanup();
      state.cleanup();
    });
    const error = await deck.spawn(request({ agent: 'shell', name: 'x', worktree: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as Error).message).toBe(
      `Cannot create a worktree: ${cwd.dir} is not inside a git repository. Turn Worktree off (Space) or start workerdeck in a repo.`,
    );
    expect(deck.getState().order).toEqual([]);
    expect(deck.runningIds()).toEqual([]);
  });
});
