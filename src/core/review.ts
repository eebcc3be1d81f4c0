/**
 * What the deck knows of a worker's branch: its diff against the base, a
 * merge preview, what a cleanup would lose, and orphans. Pure types and
 * parsers; the git work that fills them is in src/git/review.ts, merge.ts
 * and cleanup.ts.
 */

/** Lines added and deleted over the files of a worker's changes. */
export interface DiffStat {
  files: number;
  added: number;
  deleted: number;
}

export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed';

/** A conflict the radar found: with another worker (by id and name) or with the worker's base branch (`withId` null). */
export interface Conflict {
  /** The other worker's name, or the base branch. */
  with: string;
  withId: string | null;
  files: string[];
}

/** A validate run of a worker (config `validate`), as the list and `list --json` show it. */
export interface Validation {
  status: 'running' | 'passed' | 'failed' | 'timed-out';
  command: string;
  exitCode: number | null;
  /** epoch ms */
  startedAt: number;
  finishedAt: number | null;
  /** The log file of its output, in the state dir. */
  log: string;
  /** The last lines of its output (at most 2 KiB), for `i`. */
  tail: string;
  /** How many times a failure has nudged the worker since it last passed. */
  nudges: number;
}

/** One file of a worker's diff. */
export interface FileChange {
  path: string;
  /** The path before a rename or copy, else null. */
  oldPath: string | null;
  status: FileStatus;
  binary: boolean;
  added: number;
  deleted: number;
  /** The file's hunks as patch lines, `@@ … @@` headers included; empty for a binary file. */
  lines: string[];
}

/** A worker's changes (commits and uncommitted files) against the merge base with its base branch. */
export interface WorkerDiff {
  base: string;
  /** The merge base commit of the worker's HEAD and the base branch. */
  mergeBase: string;
  /** The worker's branch tip. */
  head: string;
  /** True when files differ from HEAD (uncommitted, untracked included). */
  dirty: boolean;
  files: FileChange[];
  stat: DiffStat;
  /** True when the patch was longer than the deck shows and was cut. */
  truncated: boolean;
}

export const MERGE_STRATEGIES = ['merge', 'squash', 'rebase'] as const;
/** Merge commit, squash into one commit, or rebase onto the base and fast-forward. */
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

/** What `m` would do, found without touching any working tree. */
export interface MergePreview {
  branch: string;
  /** The branch it merges into. */
  target: string;
  strategy: MergeStrategy;
  /** The worker's commits not in the target, oldest first. */
  commits: { sha: string; subject: string }[];
  /** Uncommitted files in the worker's worktree (they would be committed first). */
  uncommitted: string[];
  /** Files a merge would conflict in (uncommitted files included), empty when it merges cleanly. */
  conflicts: string[];
  /** The worktree where the target is checked out, or null. */
  targetCheckout: string | null;
  /** Uncommitted files in that checkout. */
  targetDirty: string[];
  /** Why it will not merge, in sentences for the operator (what to do included), or null. */
  refusal: string | null;
}

export interface MergeResult {
  branch: string;
  target: string;
  strategy: MergeStrategy;
  /** The target's new head. */
  commit: string;
  /** How many of the worker's commits landed (the squash is one commit of them). */
  commits: number;
  /** True when uncommitted files were committed first. */
  committedUncommitted: boolean;
}

/** What removing a worker's worktree and branch would lose. */
export interface CleanupPreview {
  branch: string;
  base: string;
  worktree: string;
  /** The branch's changes are in the base (by ancestry, patch, or a merge that would change nothing). */
  merged: boolean;
  /** Commits of the branch whose changes are not in the base. */
  unmergedCommits: number;
  /** Uncommitted files in the worktree (untracked included). */
  uncommitted: string[];
  /** Nothing would be lost: one confirmation is enough. */
  safe: boolean;
}

export interface CleanupResult {
  branch: string;
  /** Where the branch tip and the uncommitted files were kept: `refs/workerdeck/trash/<branch>`. */
  trashRef: string;
}

/** What `P` did: the branch pushed to `remote`, and the pull request opened (or why not, in `note`). */
export interface PushResult {
  branch: string;
  remote: string;
  prUrl: string | null;
  note: string;
}

export interface RestoreResult {
  branch: string;
  worktree: string;
  /** Uncommitted files put back into the worktree. */
  restoredFiles: number;
}

/** One orphan `workerdeck prune` found: removed when safe, else kept with the reason. */
export interface PruneItem {
  kind: 'worktree' | 'branch' | 'registry' | 'trash';
  /** The worktree path, branch name, worker name or trash ref. */
  name: string;
  removed: boolean;
  /** Why it was removed or kept, in words. */
  reason: string;
}

/** `+120 −8 3f`: a worker's diffstat as the list shows it, or '' when there is nothing. */
export function formatDiffStat(stat: DiffStat | null | undefined): string {
  if (!stat || stat.files === 0) return '';
  return `+${stat.added} −${stat.deleted} ${stat.files}f`;
}

/** The trash ref that keeps a removed worker's branch tip and uncommitted files. */
export function trashRef(branch: string): string {
  return `refs/workerdeck/trash/${branch}`;
}

/**
 * Split a `git diff-tree -p` patch into one entry per file section, in order:
 * each section's hunk lines (from the first `@@`), its +/− counts, and whether
 * git called it binary. Header lines (`diff --git`, `index`, `---`, `+++`) are
 * left out of `lines`.
 */
export function parsePatch(patch: string): { lines: string[]; added: number; deleted: number; binary: boolean }[] {
  const sections: { lines: string[]; added: number; deleted: number; binary: boolean }[] = [];
  let current: { lines: string[]; added: number; deleted: number; binary: boolean } | null = null;
  let inHunk = false;
  const text = patch.endsWith('\n') ? patch.slice(0, -1) : patch;
  if (text === '') return sections;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = { lines: [], added: 0, deleted: 0, binary: false };
      sections.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (!inHunk) {
      if (line.startsWith('@@')) {
        inHunk = true;
        current.lines.push(line);
      } else if (line.startsWith('Binary files ') || line === 'GIT binary patch') {
        current.binary = true;
      }
      continue;
    }
    current.lines.push(line);
    if (line.startsWith('+')) current.added++;
    else if (line.startsWith('-')) current.deleted++;
  }
  return sections;
}

/**
 * Parse `git diff-tree -z --name-status -M` output: `M\0path\0`, `R087\0old\0new\0`.
 * @returns one entry per file, in git's order
 */
export function parseNameStatus(z: string): { status: FileStatus; path: string; oldPath: string | null }[] {
  const parts = z.split('\0');
  const out: { status: FileStatus; path: string; oldPath: string | null }[] = [];
  for (let i = 0; i < parts.length; ) {
    const code = parts[i++] ?? '';
    if (code === '') continue;
    const letter = code[0];
    if (letter === 'R' || letter === 'C') {
      const oldPath = parts[i++] ?? '';
      const path = parts[i++] ?? '';
      out.push({ status: letter === 'R' ? 'renamed' : 'copied', path, oldPath });
      continue;
    }
    const path = parts[i++] ?? '';
    const status: FileStatus = letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : letter === 'T' ? 'type-changed' : 'modified';
    out.push({ status, path, oldPath: null });
  }
  return out;
}

/**
 * Parse `git diff-tree -z --numstat -M` output into a DiffStat (binary files
 * count as files with no lines).
 */
export function parseNumstat(z: string): DiffStat {
  const stat: DiffStat = { files: 0, added: 0, deleted: 0 };
  const parts = z.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const field = parts[i] ?? '';
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(field);
    if (!m) continue;
    stat.files++;
    stat.added += m[1] === '-' ? 0 : Number(m[1]);
    stat.deleted += m[2] === '-' ? 0 : Number(m[2]);
    // A rename's two paths follow as fields of their own.
    if (m[3] === '') i += 2;
  }
  return stat;
}

/** `a.txt, b.txt and 3 more`: at most `max` file names, for one-line messages. */
export function listFiles(files: string[], max = 3): string {
  if (files.length <= max) return files.join(', ');
  return `${files.slice(0, max).join(', ')} and ${files.length - max} more`;
}

/** What a cleanup would lose, in words: `2 commits not in main and 1 uncommitted file (a.txt)`, or `nothing unmerged`. */
export function describeLoss(p: Pick<CleanupPreview, 'unmergedCommits' | 'uncommitted' | 'base'>): string {
  const parts: string[] = [];
  if (p.unmergedCommits > 0) parts.push(`${p.unmergedCommits} commit${p.unmergedCommits === 1 ? '' : 's'} not in ${p.base}`);
  if (p.uncommitted.length > 0) {
    parts.push(`${p.uncommitted.length} uncommitted file${p.uncommitted.length === 1 ? '' : 's'} (${listFiles(p.uncommitted)})`);
  }
  return parts.length > 0 ? parts.join(' and ') : 'nothing unmerged';
}

/** How a strategy reads in messages. */
export const STRATEGY_LABEL: Record<MergeStrategy, string> = { merge: 'merge commit', squash: 'squash', rebase: 'rebase and fast-forward' };

/** `b (a.txt), main (x.ts)`: what the radar found, for a list row beside its ⚡; '' when nothing. */
export function describeConflicts(conflicts: Conflict[] | undefined): string {
  if (!conflicts || conflicts.length === 0) return '';
  return conflicts.map((c) => `${c.with} (${listFiles(c.files, 2)})`).join(', ');
}
