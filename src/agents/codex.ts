import { COMMON_PROMPT_RULES, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import type { Launch, LaunchContext } from './preset.js';
import { workerIdentityEnv } from './common.js';

/** The Codex CLI version the flags below were checked against (`--help`). */
export const CODEX_CHECKED_VERSION = '0.169.0';

/**
 * A TOML basic string (`"…"`) holding `text` exactly: `\` and `"` are escaped,
 * `\b \t \n \f \r` use their short escapes, other control characters (U+0000–U+001F,
 * U+007F) become `\uXXXX`. Everything else, non-ASCII included, stays as is.
 */
export function tomlString(text: string): string {
  const short: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`)}"`;
}

/** A TOML inline table `{k=v,…}` from already-encoded values; keys are quoted. */
function inlineTable(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k)}=${v}`).join(',')}}`;
}

/**
 * The `-c key=value` overrides for one worker: the workerdeck MCP server (its
 * tools approved, and the worker identity in its env, because Codex starts MCP
 * servers with a filtered env), the worker instructions as `developer_instructions`,
 * and the worktree trusted so the "Trust this folder?" dialog does not block startup.
 */
export function codexConfigArgs(ctx: LaunchContext): string[] {
  const env = inlineTable(Object.entries(workerIdentityEnv(ctx)).map(([k, v]) => [k, tomlString(v)]));
  const server = inlineTable([
    ['command', tomlString(ctx.launcher)],
    ['args', '["mcp"]'],
    ['env', env],
    ['default_tools_approval_mode', '"approve"'],
  ]);
  const trusted = inlineTable([[ctx.worktree ?? ctx.cwd, inlineTable([['trust_level', '"trusted"']])]]);
  return [
    '-c', `mcp_servers.workerdeck=${server}`,
    '-c', `developer_instructions=${tomlString(ctx.instructions)}`,
    // The dotted form projects."<dir>".trust_level does not skip the dialog; the inline table does.
    '-c', `projects=${trusted}`,
  ];
}

/** Screen patterns of Codex's own dialogs; COMMON_PROMPT_RULES follow. */
export const CODEX_PROMPT_RULES: ScreenRule[] = [
  { pattern: /Would you like to (run|make|apply|allow)[^\n]*\?/i, reason: 'permission prompt' },
  { pattern: /Allow command\?|Approve[^\n]*\?\s*\n[\s\S]*Yes/i, reason: 'permission prompt' },
  { pattern: /Hooks need review/i, reason: 'hook review' },
  { pattern: /Sign in with ChatGPT|Provide your own API key/i, reason: 'login required' },
];

/**
 * `codex`: OpenAI Codex CLI, interactive.
 *
 * New: `codex -c mcp_servers.workerdeck={…} -c developer_instructions="…"
 * -c projects={"<worktree>"={trust_level="trusted"}} [--dangerously-bypass-approvals-and-sandbox]
 * [config args] -- <task>`.
 * Resume: `codex resume --last` with the same flags, run in the worker's cwd. Codex
 * cannot be given a session id up front, and `resume --last` picks the newest session
 * recorded for the current directory (the picker filters by cwd unless `--all`), which
 * is this worker's, since each worker has its own worktree.
 */
export const codexPreset: PresetFactory = (override = {}) => {
  const command = override.command ?? 'codex';
  const build = (ctx: LaunchContext, head: string[], tail: string[]): Launch => ({
    command,
    args: [
      ...head,
      ...codexConfigArgs(ctx),
      ...(ctx.skipPermissions ? ['--dangerously-bypass-approvals-and-sandbox'] : []),
      ...(override.args ?? []),
      ...tail,
    ],
    env: { ...(override.env ?? {}) },
    files: [],
    typeAfterStart: null,
  });
  return {
    name: 'codex',
    description: 'OpenAI Codex CLI: MCP tools, developer instructions, resume --last',
    command,
    checkedVersion: CODEX_CHECKED_VERSION,
    installHint: 'npm install -g @openai/codex',
    supportsSkipPermissions: true,
    submitDelayMs: override.submitDelayMs ?? 80,
    promptRules: [...CODEX_PROMPT_RULES, ...COMMON_PROMPT_RULES],
    launch(ctx) {
      return build(ctx, [], ctx.task.trim() === '' ? [] : ['--', ctx.task]);
    },
    resume(ctx) {
      return build(ctx, ['resume', '--last'], []);
    },
  };
};
