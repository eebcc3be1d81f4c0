/** The GitRunner seam: how the deck and its clients run git (execa-based in git.ts, node:child_process in spawn-git.ts). */

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Extra settings of one git call: variables added to the environment, and text for its stdin. */
export interface GitCallOptions {
  env?: Record<string, string>;
  input?: string;
}

/** Runs git with an argument array in a directory. Never throws for a non-zero exit. */
export interface GitRunner {
  run(args: string[], cwd: string, options?: GitCallOptions): Promise<GitResult>;
}

/** Milliseconds any one git call may take before it is killed. */
export const GIT_TIMEOUT_MS = 30_000;
