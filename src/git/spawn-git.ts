import { spawn } from 'node:child_process';
import { GIT_TIMEOUT_MS, type GitRunner } from './git-runner.js';

/** After a timeout's SIGTERM, how long git may take to exit before SIGKILL (execa's default too). */
const FORCE_KILL_AFTER_MS = 5_000;

/**
 * A GitRunner on node:child_process alone, for the clients' few git calls at
 * start (where the state dir is): loading execa costs the TUI's first frame
 * tens of ms. It behaves as `execaGit` does (test/integration/spawn-git.test.ts
 * runs both side by side): argument arrays, no shell, the caller's environment
 * plus `GIT_TERMINAL_PROMPT=0` and `LC_ALL=C`, stdin from `input` or none,
 * stdout and stderr as UTF-8 without their final newline, a timeout (exit code
 * 124, SIGKILL 5 s after its SIGTERM), and exit code 127 when git cannot run.
 * Never throws.
 * @param timeoutMs how long one call may take, in ms
 */
export function spawnGit(timeoutMs = GIT_TIMEOUT_MS): GitRunner {
  return {
    run(args, cwd, options = {}) {
      return new Promise((resolve) => {
        const child = spawn('git', args, {
          cwd,
          env: { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
          stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
        child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
        let timedOut = false;
        let forceKill: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
          forceKill.unref();
        }, timeoutMs);
        let settled = false;
        const settle = (result: { stdout: string; stderr: string; exitCode: number }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearTimeout(forceKill);
          resolve(result);
        };
        if (child.stdin) {
          // git may exit before it reads all of its input: that is its answer, not an error.
          child.stdin.on('error', () => undefined);
          child.stdin.end(options.input);
        }
        child.on('error', (error) => settle({ stdout: '', stderr: error.message || 'git could not be run', exitCode: 127 }));
        child.on('close', (code) => {
          if (timedOut) return settle({ stdout: '', stderr: `git ${args[0]} took longer than ${timeoutMs / 1000} s`, exitCode: 124 });
          // Killed by a signal: git gave no exit code, as when it cannot run.
          if (code === null) return settle({ stdout: '', stderr: `git ${args[0]} was killed by a signal`, exitCode: 127 });
          settle({ stdout: withoutFinalNewline(Buffer.concat(stdout).toString('utf8')), stderr: withoutFinalNewline(Buffer.concat(stderr).toString('utf8')), exitCode: code });
        });
      });
    },
  };
}

function withoutFinalNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
