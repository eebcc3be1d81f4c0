import path from 'node:path';
import { sanitize } from '../core/mail.js';
import { COMMON_PROMPT_RULES, type PermissionAsk, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import { askToolTimeoutMs, type Discovery, type DiscoveryContext, type Launch, type LaunchContext } from './preset.js';
import { stringOption, workerIdentityEnv } from './common.js';
import { chooseSession, DISCOVERY_TIMEOUT_MS, type SessionCandidate } from './session.js';

/** The opencode version the flags below were checked against (`--help`). */
export const OPENCODE_CHECKED_VERSION = '1.18.33';

/**
 * The `OPENCODE_CONFIG_CONTENT` JSON: the workerdeck MCP server as a local
 * server, and the instructions file (absolute path) in `instructions`.
 */
export function opencodeConfig(ctx: Pick<LaunchContext, 'launcher' | 'workerId' | 'stateDir' | 'name'> & Partial<Pick<LaunchContext, 'askWait'>>, instructionsFile: string): Record<string, unknown> {
  return {
    $schema: 'https://opencode.ai/config.json',
    mcp: {
      workerdeck: { type: 'local', command: [ctx.launcher, 'mcp'], environment: workerIdentityEnv(ctx), enabled: true, ...opencodeTimeout(ctx) },
    },
    instructions: [instructionsFile],
  };
}

/**
 * Wait mode: the server's `timeout` (ms), opencode's per-request limit for its tool calls
 * (the MCP SDK's 60 s without it); progress notifications restart it too.
 */
function opencodeTimeout(ctx: Partial<Pick<LaunchContext, 'askWait'>>): { timeout?: number } {
  const timeout = askToolTimeoutMs({ askWait: ctx.askWait ?? 0 });
  return timeout === null ? {} : { timeout };
}

/** An opencode session id: `ses_` and letters and digits. */
export const OPENCODE_SESSION_RE = /^ses_[A-Za-z0-9]{8,80}$/;

/**
 * The command that lists opencode's sessions: the project's root sessions (no sub-agent
 * sessions) as JSON, without external plugins. Run in the worker's directory, it lists
 * the sessions of that directory's project, which spans every worktree of a repo.
 */
export const OPENCODE_LIST_ARGS = ['session', 'list', '--format', 'json', '--pure'];

/**
 * Parse `opencode session list --format json`: an array of
 * `{id, title, updated, created, projectId, directory}` (times in epoch ms), or nothing
 * at all when there is no session. Entries without a `ses_…` id, a directory or
 * numeric times are skipped.
 * @throws Error when the output is not a JSON array
 */
export function parseOpencodeSessions(stdout: string): SessionCandidate[] {
  if (stdout.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`"opencode ${OPENCODE_LIST_ARGS.join(' ')}" did not print JSON: ${stdout.trim().slice(0, 120)}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`"opencode ${OPENCODE_LIST_ARGS.join(' ')}" did not print a JSON array`);
  const sessions: SessionCandidate[] = [];
  for (const entry of parsed as Record<string, unknown>[]) {
    const { id, directory, created, updated } = entry ?? {};
    if (typeof id !== 'string' || !OPENCODE_SESSION_RE.test(id) || typeof directory !== 'string') continue;
    if (typeof created !== 'number' || typeof updated !== 'number') continue;
    sessions.push({ id, directory, created, updated });
  }
  return sessions;
}

/**
 * Find the worker's opencode session: list the sessions from the worker's directory and
 * pick the latest one of that directory created since the worker started (`chooseSession`).
 * @param command the opencode program; `env` adds the preset's env to the user's
 */
export async function discoverOpencodeSession(ctx: DiscoveryContext, command: string, env: Record<string, string>): Promise<Discovery> {
  const result = await ctx.run(command, OPENCODE_LIST_ARGS, {
    cwd: ctx.directories[0] ?? '.',
    // Listing needs no model list and no update check; both would only slow it down.
    env: { ...ctx.env, ...env, OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1' },
    timeoutMs: DISCOVERY_TIMEOUT_MS,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  if (result.exitCode !== 0) {
    const why = (sanitize(result.stderr).trim().split('\n').at(-1) ?? '').slice(0, 200) || `exit code ${result.exitCode}`;
    return { sessionId: null, retry: true, reason: `"${command} ${OPENCODE_LIST_ARGS.join(' ')}" failed: ${why}` };
  }
  return chooseSession(parseOpencodeSessions(result.stdout), ctx, 'opencode');
}

/**
 * What opencode's `△ Permission required` dialog asks: the kind under the heading
 * (`# Shell command`) and the `$ <command>` row under it, with the rows it wraps onto
 * joined with a space. Null without the heading and the command row.
 * @param text screen rows joined with `\n`, as a ScreenRule sees them
 */
export function opencodePermissionAsk(text: string): PermissionAsk | null {
  const rows = text.split('\n').map((row) => row.replace(/^\s*┃\s?/, '').trimEnd());
  const heading = rows.findLastIndex((row) => /△ Permission required/.test(row));
  if (heading === -1) return null;
  const kind = /^\s*#\s+(.+)$/.exec(rows[heading + 1] ?? '')?.[1]?.trim() ?? 'permission';
  const start = rows.findIndex((row, i) => i > heading && /^\s*\$ /.test(row));
  if (start === -1) return null;
  const parts = [(rows[start] ?? '').replace(/^\s*\$ /, '').trim()];
  for (let i = start + 1; i < rows.length && (rows[i] ?? '').trim() !== ''; i++) parts.push((rows[i] ?? '').trim());
  return { tool: kind, detail: parts.join(' ') };
}

/** Screen patterns of opencode's own dialogs; COMMON_PROMPT_RULES follow. */
export const OPENCODE_PROMPT_RULES: ScreenRule[] = [
  // Verified live against opencode 1.18.33 (an OpenAI-compatible stand-in provider): Enter takes
  // the selected button, `Allow once` until the operator moves it; Right, Enter picks `Allow
  // always`, which asks `△ Always allow … until OpenCode is restarted` (`- mkdir *`), and the
  // second Enter confirms (one burst works); Esc rejects: the turn ends, and the model gets
  // "The user rejected permission to use this specific tool call." as the tool's output.
  {
    pattern: /△ Permission required[\s\S]*?^[\s┃]*Allow once {2,}Allow always {2,}Reject\b/m,
    reason: 'permission prompt',
    answers: { allowOnce: '\r', allowAlways: '\u001b[C\r\r', deny: '\u001b' },
    describe: opencodePermissionAsk,
  },
  { pattern: /△ Always allow[\s\S]*?Confirm {2,}Cancel/, reason: 'permission prompt' },
  { pattern: /Permission required|Allow once[\s\S]*(Allow always|Reject)/i, reason: 'permission prompt' },
];

/**
 * `opencode`: the opencode TUI.
 *
 * Env: `OPENCODE_CONFIG_CONTENT` (MCP server, instructions file in the worker's dir).
 * New: `opencode [--auto] [config args] --prompt <task>`.
 * Session: opencode cannot be given an id up front; `discoverSession` finds it in
 * `opencode session list` by the worker's directory.
 * Resume: `opencode --session <ses_…>`. Never `--continue`: it opens the project's latest
 * session, and the worktrees of a repo are one project, so that may be another worker's.
 */
export const opencodePreset: PresetFactory = (override = {}) => {
  const command = override.command ?? 'opencode';
  const build = (ctx: LaunchContext, head: string[], tail: string[]): Launch => {
    const instructionsFile = path.join(ctx.workerDir, 'instructions.md');
    return {
      command,
      args: [...head, ...(ctx.skipPermissions ? ['--auto'] : []), ...(override.args ?? []), ...tail],
      env: { OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(ctx, instructionsFile)), ...(override.env ?? {}) },
      files: [{ path: instructionsFile, content: `${ctx.instructions}\n` }],
      typeAfterStart: null,
    };
  };
  return {
    name: 'opencode',
    description: 'opencode: MCP tools and instructions via OPENCODE_CONFIG_CONTENT',
    command,
    checkedVersion: OPENCODE_CHECKED_VERSION,
    installHint: 'npm install -g opencode-ai',
    supportsSkipPermissions: true,
    submitDelayMs: override.submitDelayMs ?? 80,
    promptRules: [...OPENCODE_PROMPT_RULES, ...COMMON_PROMPT_RULES],
    launch(ctx) {
      return build(ctx, [], ctx.task.trim() === '' ? [] : stringOption('--prompt', '--prompt', ctx.task));
    },
    resume(ctx) {
      if (!OPENCODE_SESSION_RE.test(ctx.sessionId)) {
        throw new Error(`Cannot resume ${ctx.name}: its opencode session is not known (${ctx.sessionId} is not an opencode session id).`);
      }
      return build(ctx, ['--session', ctx.sessionId], []);
    },
    discoverSession(ctx) {
      return discoverOpencodeSession(ctx, command, override.env ?? {});
    },
  };
};
