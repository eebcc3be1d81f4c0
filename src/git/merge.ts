/**
 * Merging a worker's branch into its base: a preview that touches no working
 * tree (`git merge-tree --write-tree` predicts conflicts), and the merge in
 * three strategies. The merge result is built with plumbing (or, for a
 * rebase, in the worker's own worktree) and the base only moves by a
 * fast-forward, so the operator's checkout is never left mid-merge.
 */
import { listFiles, type MergePreview, type MergeResult, type MergeStrategy } from '../core/review.js';
import type { GitRunner } from './git.js';
import { GitError, gitOk, identityArgs, lastLine, resolveCommit, snapshotCommit, uncommittedFiles } from './review.js';

/** A worker's branch and where it lives. */
export interface MergeSubject {
  /** Any directory of the repo (the main worktree's top). */
  repoTop: string;
  /** The worker's worktree. */
  worktree: string;
  branch: string;
  /** The branch it merges into. */
  base: string;
}

/** A merge refused or failed; the message says why and what to do. Nothing was changed. */
export class MergeError extends GitError {}

/** The worktree each branch is checked out in: `refs/heads/<name>` → path. */
export async function checkouts(git: GitRunner, repoTop: string): Promise<Map<string, string>> {
  const out = await gitOk(git, ['worktree', 'list', '--porcelain'], repoTop, 'Cannot list the worktrees');
  const map = new Map<string, string>();
  let current: string | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) current = line.slice('worktree '.length);
    else if (line.startsWith('branch ') && current) map.set(line.slice('branch '.length), current);
  }
  return map;
}

/**
 * Merge two commits in memory (`git merge-tree --write-tree`): the result
 * tree, and the files that would conflict (empty when clean). No working
 * tree or index is touched.
 * @throws GitError when git cannot merge them at all (unrelated histories)
 */
export async function mergeTree(git: GitRunner, cwd: string, ours: string, theirs: string): Promise<{ tree: string; conflicts: string[] }> {
  const r = await git.run(['merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', ours, theirs], cwd);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new GitError(`Cannot merge ${theirs} into ${ours}: ${lastLine(r)}`);
  const [tree = '', ...files] = r.stdout.split('\0').filter(Boolean);
  return { tree: tree.trim(), conflicts: r.exitCode === 1 ? [...new Set(files)] : [] };
}

/**
 * What merging the worker's branch into its base would do: its commits, its
 * uncommitted files, the conflicts it would have (uncommitted files
 * included, through a commit of them that no ref keeps), and whether the
 * base's checkout has uncommitted changes. Touches no working tree or index.
 * @returns the preview; `refusal` says why `merge` would refuse, or is null
 * @throws GitError when the repo cannot be read
 */
export async function mergePreview(git: GitRunner, s: MergeSubject, strategy: MergeStrategy): Promise<MergePreview> {
  const preview: MergePreview = {
    branch: s.branch,
    target: s.base,
    strategy,
    commits: [],
    uncommitted: [],
    conflicts: [],
    targetCheckout: null,
    targetDirty: [],
    refusal: null,
  };
  const target = await resolveCommit(git, s.repoTop, `refs/heads/${s.base}`);
  if (!target) return { ...preview, refusal: `${s.base} is not a branch here, so there is nothing to merge into.` };
  const tip = await resolveCommit(git, s.repoTop, `refs/heads/${s.branch}`);
  if (!tip) return { ...preview, refusal: `The branch ${s.branch} is gone.` };
  const log = await gitOk(git, ['log', '--reverse', '--format=%H%x09%s', `${target}..${tip}`], s.repoTop, 'Cannot list the commits');
  preview.commits = log
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha = '', ...subject] = line.split('\t');
      return { sha, subject: subject.join('\t') };
    });
  preview.uncommitted = await uncommittedFiles(git, s.worktree);
  const theirs = preview.uncommitted.length > 0 ? (await snapshotCommit(git, s.worktree, 'workerdeck: uncommitted files (preview)')).commit : tip;
  const merged = await mergeTree(git, s.repoTop, target, theirs);
  preview.conflicts = merged.conflicts;
  preview.targetCheckout = (await checkouts(git, s.repoTop)).get(`refs/heads/${s.base}`) ?? null;
  if (preview.targetCheckout) preview.targetDirty = await uncommittedFiles(git, preview.targetCheckout);
  const targetTree = (await gitOk(git, ['rev-parse', `${target}^{tree}`], s.repoTop, 'Cannot read the base')).trim();
  if (merged.conflicts.length > 0) {
    preview.refusal =
      `Merging ${s.branch} into ${s.base} would conflict in ${listFiles(merged.conflicts)}. Nothing was changed. ` +
      `Bring ${s.base} into the worker's branch first (attach and run git merge ${s.base}, or ask the worker to), then merge again.`;
  } else if (merged.tree === targetTree) {
    preview.refusal = `Nothing to merge: every change of ${s.branch} is already in ${s.base}.`;
  } else if (preview.targetDirty.length > 0) {
    preview.refusal =
      `${s.base} is checked out in ${preview.targetCheckout} with uncommitted changes (${listFiles(preview.targetDirty)}). ` +
      `Commit or stash them there first; nothing was changed.`;
  }
  return preview;
}

/**
 * Merge the worker's branch into its base with `strategy`:
 * - `merge`: a merge commit (two parents), built with `git merge-tree` and `git commit-tree`;
 * - `squash`: one commit on the base with `message`;
 * - `rebase`: the branch rebased onto the base in the worker's worktree, then the base fast-forwarded.
 * The base then moves by a fast-forward only: `git merge --ff-only` in the
 * worktree where it is checked out, else `git update-ref` with the old value.
 * Uncommitted files are committed first (`git add -A`, message `message`)
 * when `commitUncommitted`, else left where they are.
 * @throws MergeError with the preview's refusal (conflict predicted, base
 *   checkout dirty, nothing to merge) or when a step fails; the base is then unchanged
 */
export async function merge(
  git: GitRunner,
  s: MergeSubject,
  strategy: MergeStrategy,
  options: { commitUncommitted: boolean; message: string },
): Promise<MergeResult> {
  const preview = await mergePreview(git, s, strategy);
  if (preview.refusal) throw new MergeError(preview.refusal);
  const id = await identityArgs(git, s.repoTop);
  let committedUncommitted = false;
  if (preview.uncommitted.length > 0 && options.commitUncommitted) {
    await gitOk(git, ['add', '-A'], s.worktree, `Cannot stage the uncommitted files of ${s.worktree}`);
    const c = await git.run([...id, 'commit', '-q', '-m', options.message], s.worktree);
    if (c.exitCode !== 0) {
      await git.run(['reset', '-q'], s.worktree);
      throw new MergeError(`Cannot commit the uncommitted files of ${s.worktree}: ${lastLine(c)}. Nothing was merged.`);
    }
    committedUncommitted = true;
  } else if (preview.uncommitted.length > 0 && strategy === 'rebase') {
    throw new MergeError(`${s.branch} has uncommitted files (${listFiles(preview.uncommitted)}); a rebase needs them committed first.`);
  }
  const oldTarget = await resolveCommit(git, s.repoTop, `refs/heads/${s.base}`);
  let tip = await resolveCommit(git, s.repoTop, `refs/heads/${s.branch}`);
  if (!oldTarget || !tip) throw new MergeError(`${s.base} or ${s.branch} is gone; nothing was merged.`);
  const count = Number((await gitOk(git, ['rev-list', '--count', `${oldTarget}..${tip}`], s.repoTop, 'Cannot count the commits')).trim());
  if (count === 0) throw new MergeError(`${s.branch} has no commits that are not in ${s.base}; commit its files first.`);
  let commit: string;
  if (strategy === 'rebase') {
    const r = await git.run([...id, 'rebase', '-q', oldTarget], s.worktree);
    if (r.exitCode !== 0) {
      await git.run(['rebase', '--abort'], s.worktree);
      throw new MergeError(`Rebasing ${s.branch} onto ${s.base} stopped (${lastLine(r)}); it was undone and nothing was merged. Try the merge strategy.`);
    }
    tip = await resolveCommit(git, s.worktree, 'HEAD');
    if (!tip) throw new MergeError(`${s.branch} has no HEAD after the rebase.`);
    commit = tip;
  } else {
    const merged = await mergeTree(git, s.repoTop, oldTarget, tip);
    if (merged.conflicts.length > 0) throw new MergeError(`Merging ${s.branch} into ${s.base} would conflict in ${listFiles(merged.conflicts)}. Nothing was changed.`);
    const parents = strategy === 'merge' ? ['-p', oldTarget, '-p', tip] : ['-p', oldTarget];
    const text =
      strategy === 'merge'
        ? `Merge branch '${s.branch}' into ${s.base}\n\n${options.message}`
        : `${options.message}\n\nSquashed from ${s.branch} (${count} commit${count === 1 ? '' : 's'}).`;
    commit = (await gitOk(git, [...id, 'commit-tree', merged.tree, ...parents, '-m', text], s.repoTop, 'Cannot write the merge commit')).trim();
  }
  await fastForward(git, s, oldTarget, commit);
  return { branch: s.branch, target: s.base, strategy, commit, commits: count, committedUncommitted };
}

/** Move the base from `from` to `to` (a descendant) without ever leaving its checkout mid-merge. */
async function fastForward(git: GitRunner, s: MergeSubject, from: string, to: string): Promise<void> {
  const checkout = (await checkouts(git, s.repoTop)).get(`refs/heads/${s.base}`);
  if (checkout) {
    const dirty = await uncommittedFiles(git, checkout);
    if (dirty.length > 0) {
      throw new MergeError(`${s.base} is checked out in ${checkout} with uncommitted changes (${listFiles(dirty)}). Commit or stash them there first; ${s.base} was not moved.`);
    }
    const r = await git.run(['merge', '--ff-only', '-q', to], checkout);
    if (r.exitCode !== 0) throw new MergeError(`Cannot fast-forward ${s.base} in ${checkout}: ${lastLine(r)}. ${s.base} was not moved.`);
    return;
  }
  const r = await git.run(['update-ref', '-m', `workerdeck: merge ${s.branch}`, `refs/heads/${s.base}`, to, from], s.repoTop);
  if (r.exitCode !== 0) throw new MergeError(`Cannot move ${s.base}: ${lastLine(r)} (it moved meanwhile?). Try again.`);
}
