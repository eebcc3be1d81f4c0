import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execaGit } from '../../src/git/git.js';
import { cleanupPreview, isMerged, listTrash, prune, removeWork, restoreWork } from '../../src/git/cleanup.js';
import { merge, mergePreview } from '../../src/git/merge.js';
import { diffStat, workerDiff } from '../../src/git/review.js';
import { MERGE_STRATEGIES } from '../../src/core/review.js';
import { tempRepo } from '../helpers/git-repo.js';

const git = execaGit();
const repos: ReturnType<typeof tempRepo>[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** A repo with a.txt on main, and a worker worktree `.worktrees/w-1234` on `worker/w-1234`. */
function setup() {
  const repo = tempRepo();
  repos.push(repo);
  writeFileSync(path.join(repo.dir, 'a.txt'), 'one\ntwo\nthree\n');
  writeFileSync(path.join(repo.dir, 'old-name.txt'), 'this file gets a new name\nand keeps its lines\nall of them\n');
  writeFileSync(path.join(repo.dir, 'gone.txt'), 'deleted later\n');
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'base files');
  const worktree = path.join(repo.dir, '.worktrees', 'w-1234');
  repo.git('worktree', 'add', '-q', '-b', 'worker/w-1234', worktree, 'main');
  writeFileSync(path.join(repo.dir, '.git', 'info', 'exclude'), '.worktrees/\n');
  const wt = (...args: string[]) => repo.git('-C', worktree, ...args);
  const subject = { repoTop: repo.dir, worktree, branch: 'worker/w-1234', base: 'main' };
  return { repo, worktree, wt, subject };
}

describe('a worker diff against the merge base', () => {
  it('lists committed, uncommitted and untracked files with status, counts and hunks, and leaves the index alone', async () => {
    const { repo, worktree, wt } = setup();
    writeFileSync(path.join(worktree, 'a.txt'), 'one\nTWO\nthree\nfour\n');
    renameSync(path.join(worktree, 'old-name.txt'), path.join(worktree, 'new-name.txt'));
    unlinkSync(path.join(worktree, 'gone.txt'));
    writeFileSync(path.join(worktree, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
    wt('add', '-A');
    wt('commit', '-q', '-m', 'worker commit');
    // The base moves on: its own change is not the worker's.
    writeFileSync(path.join(repo.dir, 'main-only.txt'), 'main\n');
    repo.git('add', 'main-only.txt');
    repo.git('commit', '-q', '-m', 'main moves');
    // Uncommitted: a staged edit and an untracked file.
    writeFileSync(path.join(worktree, 'a.txt'), 'one\nTWO\nthree\nfour\nfive\n');
    writeFileSync(path.join(worktree, 'new.txt'), 'fresh\nlines\n');
    const statusBefore = wt('status', '--porcelain');

    const diff = await workerDiff(git, worktree, 'main');
    const byPath = Object.fromEntries(diff.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['a.txt', 'blob.bin', 'gone.txt', 'new-name.txt', 'new.txt']);
    expect(byPath['a.txt']).toMatchObject({ status: 'modified', added: 3, deleted: 1, binary: false });
    expect(byPath['a.txt']?.lines[0]).toMatch(/^@@ -1,3 \+1,5 @@/);
    expect(byPath['a.txt']?.lines).toContain('+TWO');
    expect(byPath['new-name.txt']).toMatchObject({ status: 'renamed', oldPath: 'old-name.txt', added: 0, deleted: 0 });
    expect(byPath['gone.txt']).toMatchObject({ status: 'deleted', deleted: 1 });
    expect(byPath['blob.bin']).toMatchObject({ status: 'added', binary: true, lines: [] });
    expect(byPath['new.txt']).toMatchObject({ status: 'added', added: 2 });
    expect(diff.dirty).toBe(true);
    expect(diff.stat).toEqual({ files: 5, added: 5, deleted: 2 });
    expect(await diffStat(git, worktree, 'main')).toEqual(diff.stat);
    // The worker's index and files are as they were.
    expect(wt('status', '--porcelain')).toBe(statusBefore);
  });

  it('cuts a patch over the limit at a file boundary and keeps every file with its counts', async () => {
    const { worktree } = setup();
    for (const name of ['x1.txt', 'x2.txt', 'x3.txt']) writeFileSync(path.join(worktree, name), 'line\n'.repeat(3000));
    const diff = await workerDiff(git, worktree, 'main', 20_000);
    expect(diff.truncated).toBe(true);
    expect(diff.files.map((f) => f.added)).toEqual([3000, 3000, 3000]);
    expect(diff.files.at(-1)?.lines).toEqual([]);
  });
});

describe('merge', () => {
  for (const strategy of MERGE_STRATEGIES) {
    it(`merges a worker's commit into the checked-out base with ${strategy}, and the branch then counts as merged`, async () => {
      const { repo, worktree, wt, subject } = setup();
      writeFileSync(path.join(worktree, 'feature.txt'), 'feature\n');
      wt('add', '-A');
      wt('commit', '-q', '-m', 'add feature');
      // main moved on, so none of the strategies is a plain fast-forward.
      writeFileSync(path.join(repo.dir, 'main-only.txt'), 'main\n');
      repo.git('add', 'main-only.txt');
      repo.git('commit', '-q', '-m', 'main moves');

      const preview = await mergePreview(git, subject, strategy);
      expect(preview).toMatchObject({ target: 'main', conflicts: [], uncommitted: [], refusal: null, targetCheckout: repo.dir });
      expect(preview.commits.map((c) => c.subject)).toEqual(['add feature']);

      const result = await merge(git, subject, strategy, { commitUncommitted: true, message: 'the feature' });
      expect(result.commits).toBe(1);
      expect(repo.git('log', '--format=%s', 'main')).toMatch(strategy === 'squash' ? /the feature/ : /add feature/);
      expect(repo.git('rev-parse', 'main').trim()).toBe(result.commit);
      // The checkout of main follows, and is clean.
      expect(readFileSync(path.join(repo.dir, 'feature.txt'), 'utf8')).toBe('feature\n');
      expect(repo.git('status', '--porcelain')).toBe('');
      const parents = repo.git('log', '-1', '--format=%P', 'main').trim().split(' ');
      expect(parents.length).toBe(strategy === 'merge' ? 2 : 1);
      expect(await isMerged(git, repo.dir, 'refs/heads/worker/w-1234', 'refs/heads/main')).toBe(true);
      expect((await cleanupPreview(git, subject)).safe).toBe(true);
    });
  }

  it('commits uncommitted files first when asked, and merges into a base that is not checked out', async () => {
    const { repo, worktree, subject } = setup();
    repo.git('branch', 'dev', 'main');
    writeFileSync(path.join(worktree, 'wip.txt'), 'work in progress\n');
    const preview = await mergePreview(git, { ...subject, base: 'dev' }, 'merge');
    expect(preview.uncommitted).toEqual(['wip.txt']);
    expect(preview.targetCheckout).toBeNull();
    const result = await merge(git, { ...subject, base: 'dev' }, 'squash', { commitUncommitted: true, message: 'summary of the work' });
    expect(result.committedUncommitted).toBe(true);
    expect(repo.git('show', 'dev:wip.txt')).toBe('work in progress\n');
    expect(repo.git('log', '-1', '--format=%s', 'worker/w-1234').trim()).toBe('summary of the work');
  });

  it('refuses a predicted conflict and leaves both checkouts exactly as they were', async () => {
    const { repo, worktree, wt, subject } = setup();
    writeFileSync(path.join(worktree, 'a.txt'), 'one\nworker\nthree\n');
    wt('commit', '-q', '-am', 'worker edits line 2');
    writeFileSync(path.join(repo.dir, 'a.txt'), 'one\nmain\nthree\n');
    repo.git('commit', '-q', '-am', 'main edits line 2');
    writeFileSync(path.join(worktree, 'scratch.txt'), 'uncommitted\n');
    const before = { main: repo.git('status', '--porcelain=v2', '--branch'), worker: wt('status', '--porcelain=v2', '--branch'), head: repo.git('rev-parse', 'main') };

    const preview = await mergePreview(git, subject, 'merge');
    expect(preview.conflicts).toEqual(['a.txt']);
    expect(preview.refusal).toMatch(/would conflict in a\.txt/);
    for (const strategy of MERGE_STRATEGIES) {
      await expect(merge(git, subject, strategy, { commitUncommitted: true, message: 'x' })).rejects.toThrow(/would conflict in a\.txt/);
    }
    expect(repo.git('status', '--porcelain=v2', '--branch')).toBe(before.main);
    expect(wt('status', '--porcelain=v2', '--branch')).toBe(before.worker);
    expect(repo.git('rev-parse', 'main')).toBe(before.head);
  });

  it('refuses when the base is checked out with uncommitted changes, and says what to do', async () => {
    const { repo, worktree, wt, subject } = setup();
    writeFileSync(path.join(worktree, 'feature.txt'), 'feature\n');
    wt('add', '-A');
    wt('commit', '-q', '-m', 'add feature');
    writeFileSync(path.join(repo.dir, 'a.txt'), 'operator is editing\n');
    const head = repo.git('rev-parse', 'main');
    await expect(merge(git, subject, 'merge', { commitUncommitted: true, message: 'x' })).rejects.toThrow(
      /main is checked out in .* with uncommitted changes \(a\.txt\)\. Commit or stash them there first/,
    );
    expect(repo.git('rev-parse', 'main')).toBe(head);
    expect(readFileSync(path.join(repo.dir, 'a.txt'), 'utf8')).toBe('operator is editing\n');
  });
});

describe('safe cleanup, trash and restore', () => {
  it('counts a squash-merged branch as merged', async () => {
    const { repo, worktree, wt } = setup();
    for (const n of [1, 2]) {
      writeFileSync(path.join(worktree, `f${n}.txt`), `${n}\n`);
      wt('add', '-A');
      wt('commit', '-q', '-m', `commit ${n}`);
    }
    expect(await isMerged(git, repo.dir, 'refs/heads/worker/w-1234', 'refs/heads/main')).toBe(false);
    repo.git('merge', '-q', '--squash', 'worker/w-1234');
    repo.git('commit', '-q', '-m', 'squashed by hand');
    // Two commits squashed into one: no single patch matches, the merge would change nothing.
    expect(await isMerged(git, repo.dir, 'refs/heads/worker/w-1234', 'refs/heads/main')).toBe(true);
  });

  it('removes a merged, clean worker at once, keeping it in the trash', async () => {
    const { repo, worktree, wt, subject } = setup();
    writeFileSync(path.join(worktree, 'feature.txt'), 'feature\n');
    wt('add', '-A');
    wt('commit', '-q', '-m', 'add feature');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge', 'worker/w-1234');
    const preview = await cleanupPreview(git, subject);
    expect(preview).toMatchObject({ merged: true, unmergedCommits: 0, uncommitted: [], safe: true });
    const result = await removeWork(git, subject, false, Date.now());
    expect(result.trashRef).toBe('refs/workerdeck/trash/worker/w-1234');
    expect(existsSync(worktree)).toBe(false);
    expect(repo.git('branch', '--list', 'worker/w-1234')).toBe('');
    expect(repo.git('rev-parse', 'refs/workerdeck/trash/worker/w-1234^1').trim()).toBe(repo.git('rev-parse', 'main^2').trim());
  });

  it('names an unmerged commit and an uncommitted file, removes only when confirmed, and restore brings both back', async () => {
    const { repo, worktree, wt, subject } = setup();
    writeFileSync(path.join(worktree, 'committed.txt'), 'a commit of the worker\n');
    wt('add', '-A');
    wt('commit', '-q', '-m', 'unmerged work');
    const tip = wt('rev-parse', 'HEAD').trim();
    writeFileSync(path.join(worktree, 'a.txt'), 'edited, not committed\n');
    writeFileSync(path.join(worktree, 'untracked.txt'), 'never added\n');

    const preview = await cleanupPreview(git, subject);
    expect(preview).toMatchObject({ merged: false, unmergedCommits: 1, safe: false });
    expect(preview.uncommitted.sort()).toEqual(['a.txt', 'untracked.txt']);
    await expect(removeWork(git, subject, false, Date.now())).rejects.toThrow(/1 commit not in main and 2 uncommitted files \(a\.txt, untracked\.txt\)/);
    expect(existsSync(worktree)).toBe(true);

    await removeWork(git, subject, true, Date.now());
    expect(existsSync(worktree)).toBe(false);
    expect(repo.git('branch', '--list', 'worker/w-1234')).toBe('');

    const restored = await restoreWork(git, repo.dir, 'w');
    expect(restored).toMatchObject({ branch: 'worker/w-1234', worktree, restoredFiles: 2 });
    expect(wt('rev-parse', 'HEAD').trim()).toBe(tip);
    expect(readFileSync(path.join(worktree, 'committed.txt'), 'utf8')).toBe('a commit of the worker\n');
    expect(readFileSync(path.join(worktree, 'a.txt'), 'utf8')).toBe('edited, not committed\n');
    expect(readFileSync(path.join(worktree, 'untracked.txt'), 'utf8')).toBe('never added\n');
    expect(wt('status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([' M a.txt', '?? untracked.txt']);
    expect(await listTrash(git, repo.dir)).toEqual([]);
    await expect(restoreWork(git, repo.dir, 'w')).rejects.toThrow(/Nothing named "w" in the trash/);
  });
});

describe('prune', () => {
  it('removes safe orphans, keeps the rest with the reason, drops gone registry entries and old trash', async () => {
    const { repo, worktree, wt } = setup();
    // The orphan worktree w-1234 is clean and its branch merged: safe.
    writeFileSync(path.join(worktree, 'feature.txt'), 'feature\n');
    wt('add', '-A');
    wt('commit', '-q', '-m', 'add feature');
    repo.git('merge', '-q', 'worker/w-1234');
    // An orphan worktree with an uncommitted file: kept.
    const dirty = path.join(repo.dir, '.worktrees', 'dirty-aaaa');
    repo.git('worktree', 'add', '-q', '-b', 'worker/dirty-aaaa', dirty, 'main');
    writeFileSync(path.join(dirty, 'notes.txt'), 'mine\n');
    // An orphan branch with a commit not in main: kept. A merged orphan branch: deleted.
    repo.git('branch', 'worker/lone-bbbb', 'main');
    const other = path.join(repo.dir, '.worktrees', 'tmp');
    repo.git('worktree', 'add', '-q', other, 'worker/lone-bbbb');
    writeFileSync(path.join(other, 'x.txt'), 'x\n');
    repo.git('-C', other, 'add', '-A');
    repo.git('-C', other, 'commit', '-q', '-m', 'lone');
    repo.git('worktree', 'remove', other);
    repo.git('branch', 'worker/merged-cccc', 'main');
    mkdirSync(path.join(repo.dir, '.worktrees', 'stray'));
    const removedEntries: string[] = [];
    const workers = [{ id: 'dddd', name: 'gone', worktree: path.join(repo.dir, '.worktrees', 'gone-dddd'), branch: 'worker/gone-dddd', live: false }];

    const items = await prune(git, repo.dir, 'main', workers, async (id) => void removedEntries.push(id), Date.now());
    const find = (name: string) => items.find((i) => i.name === name);
    expect(find(worktree)).toMatchObject({ kind: 'worktree', removed: true });
    expect(existsSync(worktree)).toBe(false);
    expect(find(dirty)).toMatchObject({ removed: false, reason: 'kept: 1 uncommitted file' });
    expect(find('worker/lone-bbbb')).toMatchObject({ kind: 'branch', removed: false, reason: 'kept: 1 commit not in main' });
    expect(find('worker/merged-cccc')).toMatchObject({ kind: 'branch', removed: true });
    expect(find(path.join(repo.dir, '.worktrees', 'stray'))).toMatchObject({ removed: false });
    expect(find('gone')).toMatchObject({ kind: 'registry', removed: true });
    expect(removedEntries).toEqual(['dddd']);
    expect(repo.git('branch', '--list', 'worker/*').split('\n').map((l) => l.trim()).filter(Boolean).sort()).toEqual(['+ worker/dirty-aaaa', 'worker/lone-bbbb']);

    // 31 days later, the trash of the pruned ones goes too.
    const later = await prune(git, repo.dir, 'main', [], async () => undefined, Date.now() + 31 * 24 * 3600 * 1000);
    expect(later.filter((i) => i.kind === 'trash').map((i) => i.name).sort()).toEqual([
      'refs/workerdeck/trash/worker/merged-cccc',
      'refs/workerdeck/trash/worker/w-1234',
    ]);
    expect(await listTrash(git, repo.dir)).toEqual([]);
  });
});
