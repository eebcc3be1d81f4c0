/**
 * The git side of the conflict radar: what a worker changed (its commits and
 * uncommitted files, as one commit that no ref keeps), and whether two such
 * changes, or one and its base, would conflict (`git merge-tree
 * --write-tree`: no working tree or index is touched).
 */
import type { GitRunner } from './git.js';
import { mergeTree } from './merge.js';
import { GitError, gitOk, snapshotCommit } from './review.js';

/** A worker's changes at one moment. */
export interface WorkState {
  /** A commit of its files as they are on disk (its HEAD when nothing is uncommitted). */
  commit: string;
  /** The merge base of that commit and its base branch. */
  mergeBase: string;
  /** Paths it changed against the merge base. */
  files: string[];
}

/**
 * Read a worker's changes: a snapshot commit of its worktree, the merge base
 * with `base`, and the changed paths.
 * @throws GitError when the worktree or base cannot be read
 */
export async function workState(git: GitRunner, worktree: string, base: string): Promise<WorkState> {
  const snap = await snapshotCommit(git, worktree, 'workerdeck: conflict radar snapshot');
  const mb = await git.run(['merge-base', base, snap.commit], worktree);
  if (mb.exitCode !== 0) throw new GitError(`Cannot compare ${worktree} with ${base}.`);
  const mergeBase = mb.stdout.trim();
  const out = await gitOk(git, ['diff-tree', '-r', '--name-only', '-z', '--no-renames', mergeBase, snap.commit], worktree, 'Cannot diff');
  return { commit: snap.commit, mergeBase, files: out.split('\0').filter(Boolean) };
}

/** Files merging commit `b` into commit `a` would conflict in; empty when it merges cleanly or cannot be merged at all. */
export async function conflictsBetween(git: GitRunner, cwd: string, a: string, b: string): Promise<string[]> {
  try {
    return (await mergeTree(git, cwd, a, b)).conflicts;
  } catch {
    return [];
  }
}
