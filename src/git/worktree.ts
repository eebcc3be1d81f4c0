import { mkdir, readFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitRunner } from './git.js';

export interface RepoInfo {
  /** Absolute top level of the working tree that holds `cwd`. */
  top: string;
  /** Absolute git common dir: shared by every worktree of the repo. */
  commonDir: string;
  /** Current branch name, or null on a detached HEAD. */
  branch: string | null;
  /** Top level of the main working tree (where `.worktrees/` lives). */
  mainTop: string;
}

/**
 * Describe the git repo around `cwd`, or null when `cwd` is not inside one.
 * Runs one `git rev-parse` call.
 */
export async function repoInfo(git: GitRunner, cwd: string): Promise<RepoInfo | null> {
  const r = await git.run(
    ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--abbrev-ref', 'HEAD'],
    cwd,
  );
  if (r.exitCode !== 0) {
    // An empty repo has no HEAD yet; ask again without it.
    const bare = await git.run(['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir'], cwd);
    if (bare.exitCode !== 0) return null;
    const [top, commonDir] = bare.stdout.split('\n');
    if (!top || !commonDir) return null;
    return { top, commonDir, branch: null, mainTop: mainTopOf(top, commonDir) };
  }
  const [top, commonDir, head] = r.stdout.split('\n');
  if (!top || !commonDir) return null;
  return { top, commonDir, branch: head && head !== 'HEAD' ? head : null, mainTop: mainTopOf(top, commonDir) };
}

function mainTopOf(top: string, commonDir: string): string {
  // For a normal repo the common dir is <top>/.git; for a linked worktree it
  // is the main repo's .git, whose parent is the main working tree.
  return path.basename(commonDir) === '.git' ? path.dirname(commonDir) : top;
}

/**
 * Add lines to `<common dir>/info/exclude` unless already there, so files the
 * deck or a preset puts in a worktree never show in `git status`. Never
 * touches the user's `.gitignore`.
 */
export async function ensureExcluded(commonDir: string, patterns: string[]): Promise<void> {
  const file = path.join(commonDir, 'info', 'exclude');
  await mkdir(path.dirname(file), { recursive: true });
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // No exclude file yet: it is created below.
  }
  const have = new Set(text.split('\n').map((l) => l.trim()));
  const missing = patterns.filter((p) => !have.has(p));
  if (missing.length === 0) return;
  const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${prefix}# added by workerdeck\n${missing.join('\n')}\n`);
}

export class WorktreeError extends Error {}

export interface NewWorktree {
  path: string;
  branch: string;
  base: string;
}

/**
 * Create `<repo>/.worktrees/<name>-<id>` on a new branch `worker/<name>-<id>`
 * from `base`, as `git worktree add -b <branch> <path> <base>`. Adds
 * `.worktrees/` to info/exclude first.
 * @throws WorktreeError with a sentence for the operator when the branch or
 *   directory already exists, the base is unknown, or git fails. Nothing is
 *   left behind on failure.
 */
export async function createWorktree(
  git: GitRunner,
  repo: RepoInfo,
  slug: string,
  base: string,
): Promise<NewWorktree> {
  const branch = `worker/${slug}`;
  const dir = path.join(repo.mainTop, '.worktrees', slug);
  await ensureExcluded(repo.commonDir, ['.worktrees/']);
  const exists = await git.run(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], repo.top);
  if (exists.exitCode === 0) {
    throw new WorktreeError(`Cannot create worktree: branch ${branch} already exists. Use another name.`);
  }
  const baseOk = await git.run(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], repo.top);
  if (baseOk.exitCode !== 0) {
    throw new WorktreeError(
      `Cannot create worktree: base "${base}" is not a branch or commit here. Pick an existing branch, or commit once first.`,
    );
  }
  const add = await git.run(['worktree', 'add', '-b', branch, dir, base], repo.top);
  if (add.exitCode !== 0) {
    await removeWorktree(git, repo, dir, branch);
    const why = add.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit code ${add.exitCode}`;
    throw new WorktreeError(`Cannot create worktree ${dir}: ${why.replace(/^fatal: /, '')}`);
  }
  return { path: dir, branch, base };
}

/**
 * Undo `createWorktree`: remove the worktree dir and delete the branch. Used
 * only to roll back a spawn that failed; it never runs on a worker's kept work.
 * Errors are swallowed: each step removes what exists.
 */
export async function removeWorktree(git: GitRunner, repo: RepoInfo, dir: string, branch: string): Promise<void> {
  await git.run(['worktree', 'remove', '--force', dir], repo.top);
  await git.run(['worktree', 'prune'], repo.top);
  await git.run(['branch', '-D', branch], repo.top);
}

/** True when the working tree at `cwd` has uncommitted changes (tracked or untracked). */
export async function isDirty(git: GitRunner, cwd: string): Promise<boolean> {
  const r = await git.run(['status', '--porcelain', '--untracked-files=normal'], cwd);
  return r.exitCode === 0 && r.stdout.trim() !== '';
}
