/**
 * Removing a worker's worktree and branch without losing work: "is it
 * merged" by ancestry, by patch (`git cherry`) and by a merge that would
 * change nothing (squash merges), what would be lost, the trash ref that
 * keeps the branch tip and a commit of the uncommitted files
 * (`refs/workerdeck/trash/<branch>`), restore from it, and prune of orphans.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describeLoss, listFiles, trashRef, type CleanupPreview, type CleanupResult, type PruneItem, type RestoreResult } from '../core/review.js';
import type { GitRunner } from './git.js';
import { checkouts, mergeTree } from './merge.js';
import { GitError, gitOk, identityArgs, lastLine, resolveCommit, snapshot, uncommittedFiles } from './review.js';

/** Trash older than this is pruned, in ms (30 days). */
export const TRASH_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** A cleanup refused or failed; the message says why. Nothing was removed. */
export class CleanupError extends GitError {}

/** A worker's work on disk. */
export interface WorkSubject {
  repoTop: string;
  worktree: string;
  branch: string;
  base: string;
}

/**
 * True when every change of `branch` is in `base`: the branch is an ancestor
 * of the base; or every commit has an equal patch in the base (`git cherry`:
 * rebased or cherry-picked); or merging it into the base would change
 * nothing (a squash merge, or its changes were made again).
 */
export async function isMerged(git: GitRunner, cwd: string, branch: string, base: string): Promise<boolean> {
  const b = await resolveCommit(git, cwd, branch);
  const t = await resolveCommit(git, cwd, base);
  if (!b || !t) return false;
  if ((await git.run(['merge-base', '--is-ancestor', b, t], cwd)).exitCode === 0) return true;
  const cherry = await git.run(['cherry', t, b], cwd);
  if (cherry.exitCode === 0 && cherry.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('-'))) return true;
  try {
    const merged = await mergeTree(git, cwd, t, b);
    if (merged.conflicts.length > 0) return false;
    const baseTree = (await gitOk(git, ['rev-parse', `${t}^{tree}`], cwd, 'Cannot read the base')).trim();
    return merged.tree === baseTree;
  } catch {
    return false;
  }
}

/** Commits of `branch` whose patch is not in `base` (`git cherry`, `+` lines). */
async function unmergedCommits(git: GitRunner, cwd: string, branch: string, base: string): Promise<number> {
  const r = await git.run(['cherry', base, branch], cwd);
  if (r.exitCode !== 0) {
    const count = await git.run(['rev-list', '--count', `${base}..${branch}`], cwd);
    return count.exitCode === 0 ? Number(count.stdout.trim()) : 0;
  }
  return r.stdout.split('\n').filter((l) => l.startsWith('+')).length;
}

/**
 * What removing the worker's worktree and branch would lose.
 * @throws GitError when the repo cannot be read
 */
export async function cleanupPreview(git: GitRunner, s: WorkSubject): Promise<CleanupPreview> {
  const branchExists = (await resolveCommit(git, s.repoTop, `refs/heads/${s.branch}`)) !== null;
  const merged = branchExists ? await isMerged(git, s.repoTop, `refs/heads/${s.branch}`, `refs/heads/${s.base}`) : true;
  const unmerged = branchExists && !merged ? await unmergedCommits(git, s.repoTop, `refs/heads/${s.branch}`, `refs/heads/${s.base}`) : 0;
  const uncommitted = existsSync(s.worktree) ? await uncommittedFiles(git, s.worktree).catch(() => []) : [];
  return {
    branch: s.branch,
    base: s.base,
    worktree: s.worktree,
    merged,
    // A branch that is not merged but whose commits all have equal patches still counts its difference.
    unmergedCommits: merged ? 0 : Math.max(unmerged, 1),
    uncommitted,
    safe: merged && uncommitted.length === 0,
  };
}

/** `Workerdeck-<key>: value` trailers of a trash commit. */
function trailers(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of message.split('\n')) {
    const m = /^Workerdeck-([A-Za-z-]+): (.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

/**
 * Keep the branch tip and a commit of the worktree's uncommitted files under
 * `refs/workerdeck/trash/<branch>`: a commit whose tree is the files as they
 * are on disk, whose first parent is the branch tip (and whose second is an
 * earlier trash of the same branch, so nothing older is dropped). Its
 * message records the branch, base, worktree and whether files were uncommitted.
 * @returns the trash ref
 * @throws GitError when nothing could be kept (then nothing may be removed)
 */
export async function trashWork(git: GitRunner, s: WorkSubject, now: number): Promise<string> {
  const ref = trashRef(s.branch);
  const tip = await resolveCommit(git, s.repoTop, `refs/heads/${s.branch}`);
  let tree: string;
  let head: string;
  let dirty = false;
  if (s.worktree !== '' && existsSync(s.worktree)) {
    const snap = await snapshot(git, s.worktree);
    ({ tree, head, dirty } = snap);
  } else if (tip) {
    head = tip;
    tree = (await gitOk(git, ['rev-parse', `${tip}^{tree}`], s.repoTop, 'Cannot read the branch')).trim();
  } else {
    throw new CleanupError(`Neither the worktree ${s.worktree} nor the branch ${s.branch} exists; nothing to keep.`);
  }
  const earlier = await resolveCommit(git, s.repoTop, ref);
  const message = [
    `workerdeck trash: ${s.branch}`,
    '',
    `Workerdeck-Branch: ${s.branch}`,
    `Workerdeck-Base: ${s.base}`,
    `Workerdeck-Worktree: ${s.worktree}`,
    `Workerdeck-Uncommitted: ${dirty ? 'yes' : 'no'}`,
    `Workerdeck-Trashed-At: ${new Date(now).toISOString()}`,
  ].join('\n');
  const id = await identityArgs(git, s.repoTop);
  const parents = ['-p', head, ...(earlier ? ['-p', earlier] : [])];
  const commit = (await gitOk(git, [...id, 'commit-tree', tree, ...parents, '-m', message], s.repoTop, 'Cannot keep the work in the trash')).trim();
  await gitOk(git, ['update-ref', '-m', 'workerdeck: trash', ref, commit], s.repoTop, 'Cannot keep the work in the trash');
  return ref;
}

/**
 * Remove the worker's worktree and branch, after keeping them in the trash
 * (see `trashWork`). When the preview is not safe (unmerged commits or
 * uncommitted files), `confirmedLoss` must be true.
 * @throws CleanupError when refused or when keeping the work failed (nothing was removed)
 */
export async function removeWork(git: GitRunner, s: WorkSubject, confirmedLoss: boolean, now: number): Promise<CleanupResult> {
  const preview = await cleanupPreview(git, s);
  if (!preview.safe && !confirmedLoss) {
    throw new CleanupError(`${s.branch} has ${describeLoss(preview)}; confirm to remove it (it is kept in ${trashRef(s.branch)}).`);
  }
  const ref = await trashWork(git, s, now);
  if (existsSync(s.worktree)) {
    const r = await git.run(['worktree', 'remove', '--force', '--force', s.worktree], s.repoTop);
    if (r.exitCode !== 0) throw new CleanupError(`Cannot remove the worktree ${s.worktree}: ${lastLine(r)}. Its work is kept in ${ref}.`);
  }
  await git.run(['worktree', 'prune'], s.repoTop);
  if (await resolveCommit(git, s.repoTop, `refs/heads/${s.branch}`)) {
    const r = await git.run(['branch', '-D', s.branch], s.repoTop);
    if (r.exitCode !== 0) throw new CleanupError(`Cannot delete the branch ${s.branch}: ${lastLine(r)}. Its work is kept in ${ref}.`);
  }
  await pruneTrash(git, s.repoTop, now);
  return { branch: s.branch, trashRef: ref };
}

/** Every trash entry: its branch, ref, when it was trashed (epoch ms) and its trailers. */
export async function listTrash(git: GitRunner, repoTop: string): Promise<{ branch: string; ref: string; at: number }[]> {
  const out = await gitOk(git, ['for-each-ref', '--format=%(refname)%09%(committerdate:unix)', 'refs/workerdeck/trash/'], repoTop, 'Cannot list the trash');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [ref = '', at = '0'] = line.split('\t');
      return { ref, branch: ref.slice('refs/workerdeck/trash/'.length), at: Number(at) * 1000 };
    });
}

/** Delete trash entries older than `maxAgeMs`. @returns the refs deleted */
export async function pruneTrash(git: GitRunner, repoTop: string, now: number, maxAgeMs = TRASH_MAX_AGE_MS): Promise<string[]> {
  const old = (await listTrash(git, repoTop)).filter((t) => now - t.at > maxAgeMs);
  for (const t of old) await git.run(['update-ref', '-d', t.ref], repoTop);
  return old.map((t) => t.ref);
}

/**
 * Bring a removed worker's branch and worktree back from the trash: the
 * branch at its kept tip, the worktree where it was, and its uncommitted
 * files as uncommitted files again. `key` is the branch
 * (`worker/api-3f2a`), the worker's name (`api`), its id (`3f2a`) or `name-id`.
 * The trash entry is deleted once everything is back.
 * @throws CleanupError when no entry or more than one matches, or the branch
 *   or worktree path exists again
 */
export async function restoreWork(git: GitRunner, repoTop: string, key: string): Promise<RestoreResult> {
  const trash = await listTrash(git, repoTop);
  const slugOf = (branch: string) => branch.replace(/^worker\//, '');
  const matches = trash.filter((t) => {
    const slug = slugOf(t.branch);
    return t.branch === key || slug === key || slug.replace(/-[0-9a-f]{4}$/, '') === key || slug.endsWith(`-${key}`);
  });
  if (matches.length === 0) {
    const known = trash.map((t) => slugOf(t.branch)).join(', ');
    throw new CleanupError(`Nothing named "${key}" in the trash.${known ? ` The trash holds: ${known}.` : ' The trash is empty.'}`);
  }
  if (matches.length > 1) throw new CleanupError(`"${key}" matches ${matches.map((m) => m.branch).join(', ')}; name the branch.`);
  const entry = matches[0]!;
  const body = await gitOk(git, ['log', '-1', '--format=%B', entry.ref], repoTop, 'Cannot read the trash');
  const t = trailers(body);
  const tip = (await gitOk(git, ['rev-parse', `${entry.ref}^1`], repoTop, 'Cannot read the trash')).trim();
  const worktree = t.worktree ?? path.join(repoTop, '.worktrees', slugOf(entry.branch));
  if (await resolveCommit(git, repoTop, `refs/heads/${entry.branch}`)) {
    throw new CleanupError(`The branch ${entry.branch} exists again; nothing was restored. Rename or delete it first.`);
  }
  if (existsSync(worktree)) throw new CleanupError(`${worktree} exists again; nothing was restored. Move it away first.`);
  const add = await git.run(['worktree', 'add', '-q', '-b', entry.branch, worktree, tip], repoTop);
  if (add.exitCode !== 0) throw new CleanupError(`Cannot restore the worktree ${worktree}: ${lastLine(add)}. The trash entry is kept.`);
  let restoredFiles = 0;
  if (t.uncommitted === 'yes') {
    const changed = await gitOk(git, ['diff-tree', '-r', '--name-only', '-z', tip, entry.ref], repoTop, 'Cannot read the trash');
    restoredFiles = changed.split('\0').filter(Boolean).length;
    // Files only: the index stays at the tip, so they are uncommitted again, as they were.
    await gitOk(git, ['restore', `--source=${entry.ref}`, '--worktree', '--', ':/'], worktree, 'Cannot put back the uncommitted files');
  }
  await git.run(['update-ref', '-d', entry.ref], repoTop);
  return { branch: entry.branch, worktree, restoredFiles };
}

/** A worker as prune sees it: what it owns. */
export interface OwnedWork {
  id: string;
  name: string;
  worktree: string | null;
  branch: string | null;
  /** True while its process runs. */
  live: boolean;
}

/**
 * Find and clear orphans of a repo: worktrees under `<mainTop>/.worktrees/`
 * that no worker owns, `worker/*` branches no worker owns, and registry
 * entries (workers not running) whose worktree is gone. Safe ones are
 * removed (a clean worktree on a merged branch, a merged branch; both are
 * kept in the trash first; registry entries through `removeEntry`); the rest
 * are kept with the reason. Trash older than 30 days is pruned.
 * @param base the branch "merged" is judged against for orphans (the main worktree's branch)
 */
export async function prune(
  git: GitRunner,
  mainTop: string,
  base: string,
  workers: OwnedWork[],
  removeEntry: (id: string) => Promise<void>,
  now: number,
): Promise<PruneItem[]> {
  const items: PruneItem[] = [];
  const ownedTrees = new Set(workers.flatMap((w) => (w.worktree ? [w.worktree] : [])));
  const ownedBranches = new Set(workers.flatMap((w) => (w.branch ? [w.branch] : [])));
  const out = await gitOk(git, ['worktree', 'list', '--porcelain'], mainTop, 'Cannot list the worktrees');
  const trees = new Map<string, string | null>();
  let current: string | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = line.slice('worktree '.length);
      trees.set(current, null);
    } else if (line.startsWith('branch refs/heads/') && current) trees.set(current, line.slice('branch refs/heads/'.length));
  }
  const dir = path.join(mainTop, '.worktrees');
  const onDisk = (await readdir(dir).catch(() => [] as string[])).map((n) => path.join(dir, n));
  for (const tree of onDisk) {
    if (ownedTrees.has(tree)) continue;
    if (!trees.has(tree)) {
      items.push({ kind: 'worktree', name: tree, removed: false, reason: 'kept: not a git worktree; remove it by hand if it is not needed' });
      continue;
    }
    const branch = trees.get(tree) ?? null;
    const subject = { repoTop: mainTop, worktree: tree, branch: branch ?? '', base };
    const dirty = await uncommittedFiles(git, tree).catch(() => ['(unreadable)']);
    const merged = branch ? await isMerged(git, mainTop, `refs/heads/${branch}`, `refs/heads/${base}`) : true;
    if (dirty.length > 0 || !merged || !branch) {
      const why = [
        ...(dirty.length > 0 ? [`${dirty.length} uncommitted file${dirty.length === 1 ? '' : 's'}`] : []),
        ...(!merged ? [`branch ${branch} is not merged into ${base}`] : []),
        ...(!branch ? ['no branch checked out'] : []),
      ];
      items.push({ kind: 'worktree', name: tree, removed: false, reason: `kept: ${why.join(', ')}` });
      continue;
    }
    await removeWork(git, subject, false, now);
    ownedBranches.add(branch); // gone now; not an orphan branch below
    items.push({ kind: 'worktree', name: tree, removed: true, reason: `removed with its branch ${branch}: clean and merged into ${base}` });
  }
  const checkedOut = new Set((await checkouts(git, mainTop)).keys());
  const branches = (await gitOk(git, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/worker/'], mainTop, 'Cannot list the branches'))
    .split('\n')
    .filter(Boolean);
  for (const branch of branches) {
    if (ownedBranches.has(branch) || checkedOut.has(`refs/heads/${branch}`)) continue;
    if (!(await isMerged(git, mainTop, `refs/heads/${branch}`, `refs/heads/${base}`))) {
      const n = await unmergedCommits(git, mainTop, `refs/heads/${branch}`, `refs/heads/${base}`);
      items.push({ kind: 'branch', name: branch, removed: false, reason: `kept: ${n} commit${n === 1 ? '' : 's'} not in ${base}` });
      continue;
    }
    const ref = await trashWork(git, { repoTop: mainTop, worktree: '', branch, base }, now);
    const r = await git.run(['branch', '-D', branch], mainTop);
    items.push(
      r.exitCode === 0
        ? { kind: 'branch', name: branch, removed: true, reason: `deleted: merged into ${base} (kept in ${ref})` }
        : { kind: 'branch', name: branch, removed: false, reason: `kept: ${lastLine(r)}` },
    );
  }
  for (const w of workers) {
    if (w.live || !w.worktree || existsSync(w.worktree)) continue;
    await removeEntry(w.id);
    items.push({ kind: 'registry', name: w.name, removed: true, reason: `removed from the list: its worktree ${w.worktree} is gone` });
  }
  for (const ref of await pruneTrash(git, mainTop, now)) {
    items.push({ kind: 'trash', name: ref, removed: true, reason: 'deleted: in the trash for more than 30 days' });
  }
  return items;
}
