import { createHash } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GitRunner } from '../git/git.js';
import { repoInfo, type RepoInfo } from '../git/worktree.js';

export interface StateDirChoice {
  /** Absolute state dir. */
  dir: string;
  /** The repo around the cwd, or null outside git. */
  repo: RepoInfo | null;
}

/**
 * Pick the state dir: `--state-dir`, else `$WORKERDECK_STATE_DIR`, else
 * `<git common dir>/workerdeck` (shared by every worktree of the repo), else
 * `$XDG_STATE_HOME/workerdeck/<sha256 of cwd, 12 hex>`.
 */
export async function chooseStateDir(options: {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  git: GitRunner;
}): Promise<StateDirChoice> {
  const repo = await repoInfo(options.git, options.cwd);
  if (options.flag) return { dir: path.resolve(options.cwd, options.flag), repo };
  if (options.env.WORKERDECK_STATE_DIR) return { dir: path.resolve(options.env.WORKERDECK_STATE_DIR), repo };
  if (repo) return { dir: path.join(repo.commonDir, 'workerdeck'), repo };
  const stateHome = options.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  const hash = createHash('sha256').update(options.cwd).digest('hex').slice(0, 12);
  return { dir: path.join(stateHome, 'workerdeck', hash), repo };
}

/** The layout inside a state dir. */
export function stateLayout(dir: string) {
  return {
    dir,
    stateFile: path.join(dir, 'state.json'),
    eventsFile: path.join(dir, 'events.jsonl'),
    lockFile: path.join(dir, 'deck.pid'),
    mail: {
      root: path.join(dir, 'mail'),
      tmp: path.join(dir, 'mail', 'tmp'),
      new: path.join(dir, 'mail', 'new'),
      cur: path.join(dir, 'mail', 'cur'),
      bad: path.join(dir, 'mail', 'bad'),
    },
    transcripts: path.join(dir, 'transcripts'),
    binDir: path.join(dir, 'bin'),
    workerFiles: path.join(dir, 'workers'),
  };
}

export type StateLayout = ReturnType<typeof stateLayout>;

/** Create the state dir (mode 0700) and its subdirs. */
export async function prepareStateDir(dir: string): Promise<StateLayout> {
  const layout = stateLayout(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  for (const sub of [
    layout.mail.tmp,
    layout.mail.new,
    layout.mail.cur,
    layout.mail.bad,
    layout.transcripts,
    layout.binDir,
    layout.workerFiles,
  ]) {
    await mkdir(sub, { recursive: true, mode: 0o700 });
  }
  return layout;
}
