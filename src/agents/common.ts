import type { LaunchContext } from './preset.js';

/**
 * Quote one word for a POSIX shell: `'…'` with every `'` written as `'\''`.
 * Agent hooks are run by a shell, so the launcher path must be quoted.
 */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The env the `workerdeck mcp` server needs to know its worker, for agents that
 * start MCP servers with a filtered env (Codex passes only a short allow-list).
 * @returns `{ WORKERDECK_WORKER_ID, WORKERDECK_STATE_DIR, WORKERDECK_WORKER_NAME }`, and
 *   `WORKERDECK_ASK_WAIT` (s) when `ask` waits for its reply
 */
export function workerIdentityEnv(ctx: Pick<LaunchContext, 'workerId' | 'stateDir' | 'name'> & Partial<Pick<LaunchContext, 'askWait'>>): Record<string, string> {
  return {
    WORKERDECK_WORKER_ID: ctx.workerId,
    WORKERDECK_STATE_DIR: ctx.stateDir,
    WORKERDECK_WORKER_NAME: ctx.name,
    // Ask in wait mode (src/mail/ask-wait.ts): seconds `ask` waits for the reply.
    ...(ctx.askWait ? { WORKERDECK_ASK_WAIT: String(ctx.askWait) } : {}),
  };
}

/**
 * The args of a yargs-style string option whose value may start with `-`
 * (yargs would read such a value as the next flag): `[flag, value]`, or
 * `[--long=value]` when the value starts with `-`.
 */
export function stringOption(flag: string, long: string, value: string): string[] {
  return value.startsWith('-') ? [`${long}=${value}`] : [flag, value];
}

/** Whether the deck runs as root, where some agents refuse to skip permissions. */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
