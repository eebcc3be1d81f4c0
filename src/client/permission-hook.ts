/**
 * `workerdeck hook permission`: Claude Code's PermissionRequest hook. It asks
 * the deck's server (`permission-ask`) and waits for the operator's y / A / N,
 * then prints Claude's decision (src/agents/claude-permission.ts). When no
 * server runs, the worker is not one of its workers, the server's
 * `permissionTimeout` passes, or anything fails, it prints nothing and exits
 * 0: Claude then shows its own dialog, as without the deck.
 */
import path from 'node:path';
import { claudePermissionAsk, claudePermissionOutput } from '../agents/claude-permission.js';
import { readHookInput } from '../agents/hook-input.js';
import { stateLayout } from '../registry/state-dir.js';
import { Connection } from './connection.js';

export interface PermissionHookRun {
  input: Record<string, unknown>;
  workerId: string | undefined;
  stateDir: string | undefined;
  /** This workerdeck's version (the hello). */
  version: string;
}

/**
 * Ask the server and wait.
 * @returns the hook's stdout: Claude's decision, or '' to leave Claude's own dialog
 */
export async function runPermissionHook(run: PermissionHookRun): Promise<string> {
  const ask = claudePermissionAsk(run.input);
  if (!ask || !run.workerId || !run.stateDir) return '';
  let connection: Connection;
  try {
    connection = await Connection.open(stateLayout(run.stateDir).socket, run.version);
  } catch {
    return '';
  }
  try {
    const decision = await connection.request({ type: 'permission-ask', workerId: run.workerId, ...ask });
    return decision ? claudePermissionOutput(decision, run.input) : '';
  } catch {
    return '';
  } finally {
    connection.close();
  }
}

/**
 * The command: identity from `WORKERDECK_WORKER_ID` and `--state-dir` or
 * `WORKERDECK_STATE_DIR`, input from stdin.
 * @returns always 0: the agent must never break on its hook
 */
export async function permissionHookCommand(stateDirFlag: string | undefined, version: string): Promise<number> {
  try {
    const stateDir = stateDirFlag ?? process.env.WORKERDECK_STATE_DIR;
    const stdout = await runPermissionHook({
      input: await readHookInput(),
      workerId: process.env.WORKERDECK_WORKER_ID,
      stateDir: stateDir ? path.resolve(stateDir) : undefined,
      version,
    });
    if (stdout) process.stdout.write(stdout);
  } catch {
    // Never break the agent.
  }
  return 0;
}
