/**
 * A worker's changes as git sees them: its branch plus its uncommitted files
 * against the merge base with its base branch. Nothing here touches the
 * worker's index or working tree: uncommitted files are read through a
 * temporary index (a copy of the worktree's own).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseNameStatus, parseNumstat, parsePatch, type DiffStat, type FileChange, type WorkerDiff } from '../core/review.js';
import type { GitResult, GitRunner } from './git.js';

/** Largest patch the diff view is given, in bytes; a longer one is cut at a file boundary. */
export const MAX_PATCH_BYTES = 16 * 1024 * 1024;

/** A git call failed: the message is a sentence for the operator. */
export class GitError extends Error {}

/** Run git and return stdout, or throw GitError with `what` and git's own last line. */
export async function gitOk(git: GitRunner, args: string[], cwd: string, what: string, env?: Record<string, string>): Promise<string> {
  const r = await git.run(args, cwd, env ? { env } : {});
  if (r.exitCode !== 0) throw new GitError(`${what}: ${lastLine(r)}`);
  return r.stdout;
}

/** git's last line of complaint, without its `fatal: ` prefix. */
export function lastLine(r: GitResult): string {
  const line = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).at(-1) ?? `git exit code ${r.exitCode}`;
  return line.replace(/^(fatal|error): /, '');
}

/** The commit a ref or name points at, or null when there is none. */
export async function resolveCommit(git: GitRunner, cwd: string, ref: string): Promise<string | null> {
  const r = await git.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd);
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/**
 * `-c user.name=… -c user.email=…` for commits the deck makes when git has no
 * identity configured here, else nothing (the operator's own identity wins).
 */
export async function identityArgs(git: GitRunner, cwd: string): Promise<string[]> {
  const r = await git.run(['var', 'GIT_COMMITTER_IDENT'], cwd);
  return r.exitCode === 0 ? [] : ['-c', 'user.name=workerdeck', '-c', 'user.email=workerdeck@localhost'];
}

/** The working tree of a worktree as git objects. */
export interface Snapshot {
  /** HEAD of the worktree. */
  head: string;
  /** A tree of every file as it is on disk (tracked and untracked, ignored files left out). */
  tree: string;
  /** True when `tree` differs from HEAD's tree. */
  dirty: boolean;
}

/**
 * Write the worktree's files as a tree object without touching its index:
 * `git add -A` and `git write-tree` on a copy of its index.
 * @throws GitError when `worktree` is not a git worktree with a commit
 */
export async function snapshot(git: GitRunner, worktree: string): Promise<Snapshot> {
  const head = (await gitOk(git, ['rev-parse', 'HEAD'], worktree, `Cannot read HEAD in ${worktree}`)).trim();
  const headTree = (await gitOk(git, ['rev-parse', 'HEAD^{tree}'], worktree, `Cannot read HEAD in ${worktree}`)).trim();
  const indexPath = (await gitOk(git, ['rev-parse', '--path-format=absolute', '--git-path', 'index'], worktree, `Cannot find the index of ${worktree}`)).trim();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'workerdeck-index-'));
  const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
  try {
    // A copy of the real index keeps git's stat cache: only changed files are read.
    await copyFile(indexPath, env.GIT_INDEX_FILE).catch(() => undefined);
    await gitOk(git, ['add', '-A'], worktree, `Cannot read the files of ${worktree}`, env);
    const tree = (await gitOk(git, ['write-tree'], worktree, `Cannot read the files of ${worktree}`, env)).trim();
    return { head, tree, dirty: tree !== headTree };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A commit of the worktree's files as they are on disk, whose parent is HEAD
 * (HEAD itself when nothing is uncommitted). It is referenced by nothing:
 * callers keep it under a ref or let git collect it.
 */
export async function snapshotCommit(git: GitRunner, worktree: string, message: string): Promise<Snapshot & { commit: string }> {
  const snap = await snapshot(git, worktree);
  if (!snap.dirty) return { ...snap, commit: snap.head };
  const id = await identityArgs(git, worktree);
  const commit = (await gitOk(git, [...id, 'commit-tree', snap.tree, '-p', snap.head, '-m', message], worktree, 'Cannot record the uncommitted files')).trim();
  return { ...snap, commit };
}

/** Uncommitted files of a worktree (modified, staged, deleted, untracked), as paths. */
export async function uncommittedFiles(git: GitRunner, worktree: string): Promise<string[]> {
  const out = await gitOk(git, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], worktree, `Cannot read the status of ${worktree}`);
  const parts = out.split('\0');
  const files: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i] ?? '';
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    // A rename's old path follows as a field of its own.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return files;
}

/** The merge base of the worktree's HEAD and `base`. @throws GitError when `base` is unknown or unrelated */
async function mergeBaseOf(git: GitRunner, worktree: string, base: string, head: string): Promise<string> {
  const r = await git.run(['merge-base', base, head], worktree);
  if (r.exitCode !== 0) {
    throw new GitError(`Cannot compare with ${base}: it is not a branch here, or it shares no history with the worker's branch.`);
  }
  return r.stdout.trim();
}

/**
 * Lines added and deleted, and files changed, by a worker: its commits and
 * its uncommitted files against the merge base with `base`. One snapshot and
 * one `git diff-tree --numstat`.
 * @throws GitError when the worktree or base cannot be read
 */
export async function diffStat(git: GitRunner, worktree: string, base: string): Promise<DiffStat> {
  const snap = await snapshot(git, worktree);
  const mb = await mergeBaseOf(git, worktree, base, snap.head);
  const out = await gitOk(git, ['diff-tree', '-r', '-M', '-z', '--numstat', mb, snap.tree], worktree, 'Cannot diff');
  return parseNumstat(out);
}

/**
 * The whole diff of a worker against the merge base with `base`: each file
 * with its status, +/− counts and hunks. Uncommitted and untracked files are
 * included; ignored files are not. A patch over `maxBytes` is cut: the files
 * after the cut keep their status and counts but show no hunks.
 * @throws GitError when the worktree or base cannot be read
 */
export async function workerDiff(git: GitRunner, worktree: string, base: string, maxBytes = MAX_PATCH_BYTES): Promise<WorkerDiff> {
  const snap = await snapshot(git, worktree);
  const mb = await mergeBaseOf(git, worktree, base, snap.head);
  const common = ['diff-tree', '-r', '-M', '--no-ext-diff', '--no-textconv', mb, snap.tree];
  const names = parseNameStatus(await gitOk(git, [...common, '-z', '--name-status'], worktree, 'Cannot diff'));
  const patch = await gitOk(git, [...common, '-p', '--no-color', '--src-prefix=a/', '--dst-prefix=b/'], worktree, 'Cannot diff');
  const truncated = patch.length > maxBytes;
  const sections = parsePatch(truncated ? patch.slice(0, patch.lastIndexOf('\ndiff --git ', maxBytes) + 1) : patch);
  const numstat = truncated ? await gitOk(git, [...common, '-z', '--numstat'], worktree, 'Cannot diff') : '';
  const counts = truncated ? numstatByIndex(numstat) : [];
  const files: FileChange[] = names.map((n, i) => {
    const section = sections[i];
    const count = counts[i];
    return {
      path: n.path,
      oldPath: n.oldPath,
      status: n.status,
      binary: section?.binary ?? count?.binary ?? false,
      added: section?.added ?? count?.added ?? 0,
      deleted: section?.deleted ?? count?.deleted ?? 0,
      lines: section?.lines ?? [],
    };
  });
  const stat: DiffStat = { files: files.length, added: 0, deleted: 0 };
  for (const f of files) {
    stat.added += f.added;
    stat.deleted += f.deleted;
  }
  return { base, mergeBase: mb, head: snap.head, dirty: snap.dirty, files, stat, truncated };
}

function numstatByIndex(z: string): { added: number; deleted: number; binary: boolean }[] {
  const parts = z.split('\0');
  const out: { added: number; deleted: number; binary: boolean }[] = [];
  for (let i = 0; i < parts.length; i++) {
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(parts[i] ?? '');
    if (!m) continue;
    out.push({ added: m[1] === '-' ? 0 : Number(m[1]), deleted: m[2] === '-' ? 0 : Number(m[2]), binary: m[1] === '-' });
    if (m[3] === '') i += 2;
  }
  return out;
}
