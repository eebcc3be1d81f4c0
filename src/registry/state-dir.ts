import { chmod, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { GitRunner } from '../git/git.js';
import { repoInfo, type RepoInfo } from '../git/worktree.js';

// node:crypto takes ~10 ms to load, and a client needs it only outside git or for a long
// socket path: loaded on first use, not with the module (the TUI's first frame waits on it).
const requireBuiltin = createRequire(import.meta.url);

/** The first `length` hex digits of the SHA-256 of `text`. */
function sha256Hex(text: string, length: number): string {
  const { createHash } = requireBuiltin('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

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
  const hash = sha256Hex(options.cwd, 12);
  return { dir: path.join(stateHome, 'workerdeck', hash), repo };
}

/** Longest socket path we bind: sun_path holds 108 bytes on Linux and 104 on macOS. */
const MAX_SOCKET_PATH = 100;

/**
 * The server's socket: `<state>/server.sock`, or, when that path is too long
 * for a Unix socket, `<tmpdir>/workerdeck-<uid>/<sha256 of the state dir, 16 hex>.sock`
 * (that dir is made 0700 by the server).
 */
export function socketPath(dir: string): string {
  const inside = path.join(dir, 'server.sock');
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  const hash = sha256Hex(dir, 16);
  return path.join(os.tmpdir(), `workerdeck-${process.getuid?.() ?? 'user'}`, `${hash}.sock`);
}

/** The layout inside a state dir. */
export function stateLayout(dir: string) {
  return {
    dir,
    stateFile: path.join(dir, 'state.json'),
    eventsFile: path.join(dir, 'events.jsonl'),
    lockFile: path.join(dir, 'deck.pid'),
    socket: socketPath(dir),
    serverLog: path.join(dir, 'server.log'),
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
