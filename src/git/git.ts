import { execa } from 'execa';
import { GIT_TIMEOUT_MS, type GitRunner } from './git-runner.js';

// The types live apart so a client can run git without loading execa (spawn-git.ts).
export { GIT_TIMEOUT_MS, type GitCallOptions, type GitResult, type GitRunner } from './git-runner.js';

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
