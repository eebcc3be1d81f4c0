/**
 * `P`: push a worker's branch to its remote and, when the GitHub CLI (`gh`)
 * is installed, open a pull request. Without a remote, or without `gh`, it
 * says so in one sentence.
 */
import type { CommandRunner } from '../agents/preset.js';
import type { PushResult } from '../core/review.js';
import type { GitRunner } from './git.js';
import { GitError, lastLine } from './review.js';

/** A push or pull request that could not be made; the message says why and what to do. */
export class PushError extends GitError {}

/** Milliseconds `gh pr create` may take. */
const GH_TIMEOUT_MS = 60_000;

/** The remote a branch goes to: the base's upstream remote, else `origin`, else the only remote; null when there is none. */
export async function remoteFor(git: GitRunner, cwd: string, base: string): Promise<string | null> {
  const remotes = (await git.run(['remote'], cwd)).stdout.split('\n').filter(Boolean);
  if (remotes.length === 0) return null;
  const upstream = (await git.run(['config', '--get', `branch.${base}.remote`], cwd)).stdout.trim();
  if (upstream && remotes.includes(upstream)) return upstream;
  if (remotes.includes('origin')) return 'origin';
  return remotes.length === 1 ? (remotes[0] ?? null) : null;
}

/**
 * Push `branch` to its remote (`git push -u <remote> <branch>`), then, with
 * `gh` on PATH, `gh pr create --head <branch> --base <base> --title <title> --body <body>`.
 * @returns what was done; `prUrl` null with `note` saying why when no pull request was opened
 * @throws PushError when there is no remote or the push fails
 */
export async function pushAndOpenPr(
  git: GitRunner,
  run: CommandRunner,
  s: { worktree: string; branch: string; base: string; title: string; body: string; env: NodeJS.ProcessEnv },
): Promise<PushResult> {
  const remote = await remoteFor(git, s.worktree, s.base);
  if (!remote) {
    throw new PushError(`This repo has no git remote to push ${s.branch} to. Add one (git remote add origin <url>), or merge it locally with m.`);
  }
  const push = await git.run(['push', '-u', remote, `refs/heads/${s.branch}:refs/heads/${s.branch}`], s.worktree);
  if (push.exitCode !== 0) throw new PushError(`Cannot push ${s.branch} to ${remote}: ${lastLine(push)}`);
  const gh = await run('gh', ['pr', 'create', '--head', s.branch, '--base', s.base, '--title', s.title, '--body', s.body], {
    cwd: s.worktree,
    env: s.env,
    timeoutMs: GH_TIMEOUT_MS,
  });
  if (gh.exitCode === 127) {
    return { branch: s.branch, remote, prUrl: null, note: `gh (the GitHub CLI) is not installed, so no pull request was opened; install it from https://cli.github.com or open one on ${remote}.` };
  }
  if (gh.exitCode !== 0) {
    const why = (gh.stderr.trim() || gh.stdout.trim()).split('\n').filter(Boolean).at(-1) ?? `exit code ${gh.exitCode}`;
    return { branch: s.branch, remote, prUrl: null, note: `gh pr create failed: ${why}` };
  }
  const url = /https?:\/\/\S+/.exec(gh.stdout)?.[0] ?? null;
  return { branch: s.branch, remote, prUrl: url, note: url ? `Opened ${url}` : 'gh pr create printed no URL.' };
}
