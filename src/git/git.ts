import { execa } from 'execa';

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

/**
 * The production GitRunner, on execa: argument arrays only, no shell, a
 * timeout on every call, and `GIT_TERMINAL_PROMPT=0` so git never waits on a
 * credential prompt the operator cannot see.
 */
export function execaGit(timeoutMs = GIT_TIMEOUT_MS): GitRunner {
  return {
    async run(args, cwd, options = {}) {
      const result = await execa('git', args, {
        cwd,
        reject: false,
        timeout: timeoutMs,
        ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
        env: { ...options.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      });
      if (result.timedOut) {
        return { stdout: '', stderr: `git ${args[0]} took longer than ${timeoutMs / 1000} s`, exitCode: 124 };
      }
      if (result.failed && result.exitCode === undefined) {
        return { stdout: '', stderr: result.message ?? 'git could not be run', exitCode: 127 };
      }
      return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
    },
  };
}
