import type { LimitRule } from '../core/limit-detect.js';
import type { ScreenRule } from '../core/prompt-detect.js';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Everything a preset may use to build a worker's command line. */
export interface LaunchContext {
  workerId: string;
  name: string;
  task: string;
  /** A UUID the deck made for this worker; presets that can preset a session id use it. */
  sessionId: string;
  /** The worker's cwd: its worktree, or the deck's cwd without one. */
  cwd: string;
  worktree: string | null;
  branch: string | null;
  stateDir: string;
  /** Absolute path of the `workerdeck` launcher the worker's PATH starts with. */
  launcher: string;
  /** A dir the deck made for this worker's own files (settings, instructions). */
  workerDir: string;
  /** The worker instructions (src/agents/instructions.ts). */
  instructions: string;
  skipPermissions: boolean;
  /**
   * Ask in wait mode: seconds `ask` waits for the operator's reply before it falls back
   * to typing; 0 = type mode. Presets pass it to `workerdeck mcp` and raise their CLI's
   * MCP tool timeout above it (`askToolTimeoutMs`).
   */
  askWait: number;
  /** The user's environment, for presets that read e.g. `$SHELL`. */
  env: NodeJS.ProcessEnv;
}

/** A file a preset needs written before the worker starts. */
export interface PresetFile {
  /** Absolute path. */
  path: string;
  content: string;
  /**
   * When the file lives inside the worktree, the pattern to add to the repo's
   * info/exclude so it never shows in `git status`, e.g. `.gemini/`.
   */
  exclude?: string;
}

/** What a preset builds for one spawn or resume. */
export interface Launch {
  /** Program name (looked up on PATH) or absolute path. */
  command: string;
  args: string[];
  /** Extra env on top of the deck's worker env. */
  env: Record<string, string>;
  files: PresetFile[];
  /** Text typed into the PTY once it starts, then Enter (the shell preset's task). */
  typeAfterStart: string | null;
}


/** What a finished command gave back; `exitCode` 124 means it timed out, 127 that it could not be run. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs a program with an argument array (no shell) in `cwd`, with a timeout in ms,
 * killing it when `signal` aborts. Never throws for a failed run: see `exitCode`.
 * The seam through which session discovery runs agent CLIs (`execaRunner` in production).
 */
export type CommandRunner = (
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal },
) => Promise<CommandResult>;

/** Another worker of the same preset in the same directory, and the span in which it may have started sessions (epoch ms; `to` is null while it may still run). */
export interface Peer {
  name: string;
  from: number;
  to: number | null;
}

/** Everything a preset may use to find the session its agent started for one worker. */
export interface DiscoveryContext {
  workerId: string;
  name: string;
  /** The worker's cwd, and its real path when that differs: the spellings an agent may record. */
  directories: string[];
  worktree: string | null;
  /** When the worker was first spawned, epoch ms: sessions created before it are not its own. */
  since: number;
  /**
   * Other workers of the same preset in the same directory. A session created while one
   * of them may have run there cannot be told apart by its directory.
   */
  peers: Peer[];
  /** The user's environment (HOME, XDG dirs, CODEX_HOME…). */
  env: NodeJS.ProcessEnv;
  run: CommandRunner;
  signal?: AbortSignal;
}

/**
 * What a session discovery found: the agent's own session id, or why there is none.
 * `retry` is true when trying again later may find it (the agent has not created it yet),
 * false when it never will (an ambiguous directory).
 */
export type Discovery = { sessionId: string } | { sessionId: null; reason: string; retry: boolean };

/** An agent preset: how to start, resume and talk to one agent CLI. */
export interface Preset {
  name: string;
  description: string;
  /** Default program; the config's `presets.<name>.command` overrides it. */
  command: string;
  /** The agent CLI version the flags were checked against, or null for shell/custom. */
  checkedVersion: string | null;
  /** How to install the CLI, shown when it is not installed. */
  installHint: string | null;
  /** Whether the preset honours skip permissions. */
  supportsSkipPermissions: boolean;
  /**
   * Delay between typing a reply and the Enter that submits it, in ms. Agent
   * TUIs take one burst ending in `\r` as a paste and do not submit it.
   */
  submitDelayMs: number;
  /** Build a new worker's launch. */
  launch(ctx: LaunchContext): Launch;
  /**
   * Build a resume of an earlier worker's session, or undefined when not supported.
   * `ctx.sessionId` is the agent's own id when the agent reported it or it was discovered.
   */
  resume?(ctx: LaunchContext): Launch;
  /**
   * Find the session id the agent chose itself, for agents that cannot be given one up
   * front (opencode, codex). The deck runs it in the background after a spawn and again
   * on resume when nothing was recorded, and records what it finds in
   * `workers/<id>/session.json` (src/agents/session.ts).
   */
  discoverSession?(ctx: DiscoveryContext): Promise<Discovery>;
  /** Screen rules for the needs-input fallback. */
  promptRules: ScreenRule[];
  /** Screen rules for the agent's "usage limit reached / resets at" messages (the row shows `limited`). */
  limitRules?: LimitRule[];
}

/**
 * Find a program on PATH the way execvp does.
 * @param command a bare name or a path (absolute, or relative to `cwd`)
 * @returns the absolute path of an executable file, or null when there is none
 */
export function resolveCommand(command: string, pathEnv: string | undefined, cwd: string): string | null {
  const isExecutable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const file = path.resolve(cwd, command);
    return isExecutable(file) ? file : null;
  }
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    if (isExecutable(file)) return file;
  }
  return null;
}

const PLACEHOLDERS = ['task', 'name', 'sessionId', 'mcpConfig', 'instructions', 'worktree', 'workerId', 'branch'] as const;

/**
 * Replace `{task}`, `{name}`, `{sessionId}`, `{mcpConfig}`, `{instructions}`,
 * `{worktree}`, `{workerId}` and `{branch}` in one argument. Each argument stays one
 * argv entry, so nothing is ever split or shell-interpreted.
 */
export function fillPlaceholders(arg: string, ctx: LaunchContext): string {
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    task: ctx.task,
    name: ctx.name,
    sessionId: ctx.sessionId,
    mcpConfig: JSON.stringify(mcpConfigFor(ctx)),
    instructions: ctx.instructions,
    worktree: ctx.worktree ?? ctx.cwd,
    workerId: ctx.workerId,
    branch: ctx.branch ?? '',
  };
  return arg.replace(/\{(\w+)\}/g, (whole, key: string) =>
    (PLACEHOLDERS as readonly string[]).includes(key) ? values[key as (typeof PLACEHOLDERS)[number]] : whole,
  );
}

/** The `mcpServers` JSON that registers `workerdeck mcp` by the launcher's absolute path. */
export function mcpConfigFor(ctx: Pick<LaunchContext, 'launcher'>): { mcpServers: Record<string, { command: string; args: string[] }> } {
  return { mcpServers: { workerdeck: { command: ctx.launcher, args: ['mcp'] } } };
}

/** Seconds added to the ask wait for the CLI's MCP tool timeout: the result must reach the agent before its CLI gives up. */
export const ASK_TIMEOUT_MARGIN_S = 60;

/** The MCP tool-call timeout a preset sets for the workerdeck server in wait mode, in ms; null in type mode. */
export function askToolTimeoutMs(ctx: Pick<LaunchContext, 'askWait'>): number | null {
  return ctx.askWait > 0 ? (ctx.askWait + ASK_TIMEOUT_MARGIN_S) * 1000 : null;
}

/** A launch with no extras: just the command and args. */
export function plainLaunch(command: string, args: string[]): Launch {
  return { command, args, env: {}, files: [], typeAfterStart: null };
}
