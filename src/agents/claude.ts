import path from 'node:path';
import { RESET_TIME, type LimitRule } from '../core/limit-detect.js';
import { COMMON_PROMPT_RULES, type PermissionAsk, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import { askToolTimeoutMs, mcpConfigFor, type Launch, type LaunchContext, type Preset } from './preset.js';
import { runningAsRoot, shellQuote, workerIdentityEnv } from './common.js';

/** The Claude Code version the flags below were checked against (`--help`). */
export const CLAUDE_CHECKED_VERSION = '2.1.332';

/** The workerdeck MCP tools, pre-allowed so reporting never waits on a permission prompt. */
export const CLAUDE_WORKERDECK_TOOLS = ['mcp__workerdeck__ask', 'mcp__workerdeck__complete', 'mcp__workerdeck__progress'];

/** Claude Code hook events and the `workerdeck hook <event>` each one runs. */
const HOOKS: Record<string, string> = {
  SessionStart: 'start',
  UserPromptSubmit: 'prompt',
  Stop: 'stop',
  Notification: 'notify',
};

/**
 * The ask of Claude's permission dialog, read off its screen (2.1.332): the
 * dialog starts below a solid rule with a header (`Bash command`, `Edit
 * file`, …) whose first word is the tool; the command or file is the line
 * between the dashed rules under it, else the first line below the header
 * that is not a tip.
 */
export function describeClaudeDialog(text: string): PermissionAsk | null {
  const lines = text.split('\n').map((l) => l.replace(/^[\s│]+|[\s│]+$/g, ''));
  const question = lines.findIndex((l) => /^Do you want to /.test(l));
  if (question < 0) return null;
  let top = -1;
  for (let i = 0; i < question; i++) if (/^[─━]{8,}$/.test(lines[i] ?? '')) top = i;
  const headerAt = lines.findIndex((l, i) => i > top && i < question && l !== '');
  const header = /^([A-Z][\w-]*)\b/.exec(lines[headerAt] ?? '');
  if (headerAt < 0 || !header) return null;
  const body = lines.slice(headerAt + 1, question);
  const dashed = (l: string) => /^[╌┄-]{3,}$/.test(l);
  const first = body.findIndex(dashed);
  const boxed = first >= 0 ? body.slice(first + 1).find((l) => l !== '' && !dashed(l)) : undefined;
  const detail = boxed ?? body.find((l) => l !== '' && !/^Tip:/.test(l)) ?? '';
  return { tool: header[1] ?? '', detail };
}

/** Claude's permission dialog: `1` yes, `2` yes and don't ask again (when offered), Esc no. */
const CLAUDE_DIALOG = /Do you want to [^\n]*\?\s*(\n[^\n]*){0,8}\n\s*[›>❯]?\s*1\.\s*Yes/;

/** Screen patterns of Claude Code's own dialogs; COMMON_PROMPT_RULES follow. */
export const CLAUDE_PROMPT_RULES: ScreenRule[] = [
  {
    pattern: new RegExp(`${CLAUDE_DIALOG.source}[^\\n]*\\n\\s*[›>❯]?\\s*2\\.\\s*Yes, and `),
    reason: 'permission prompt',
    answers: { allowOnce: '1', allowAlways: '2', deny: '\u001b' },
    describe: describeClaudeDialog,
  },
  { pattern: CLAUDE_DIALOG, reason: 'permission prompt', answers: { allowOnce: '1', deny: '\u001b' }, describe: describeClaudeDialog },
  { pattern: /Bypass Permissions mode[\s\S]*No, exit/i, reason: 'skip-permissions warning' },
  { pattern: /Yes, (I trust|proceed)[^\n]*\n[\s\S]*No, exit/i, reason: 'trust prompt' },
  { pattern: /Select login method|Please run \/login|Invalid API key/i, reason: 'login required' },
  { pattern: /Try the new fullscreen renderer\?/i, reason: 'dialog' },
];

/** Claude resumes by itself at the reset when it says so (`set to continue automatically at 12:53am`). */
const CLAUDE_RESUMES_ITSELF = /Continuing automatically at|set to continue automatically/;

/**
 * Claude Code's usage-limit messages (2.1.332, seen against a stand-in API
 * answering 429 with `anthropic-ratelimit-unified-status: rejected`):
 * `You've hit your 5-hour limit · resets 12:53am (UTC)` in the transcript,
 * `Usage limit reached · limit resets 12:53am` above the prompt.
 */
export const CLAUDE_LIMIT_RULES: LimitRule[] = [
  { pattern: new RegExp(String.raw`You've hit your [^·]{0,40}?limit\s*[·.]\s*(?:It\s)?resets ${RESET_TIME}`), resumesItself: CLAUDE_RESUMES_ITSELF },
  { pattern: new RegExp(String.raw`Usage limit reached\s*·\s*limit resets ${RESET_TIME}`), resumesItself: CLAUDE_RESUMES_ITSELF },
  { pattern: /You've hit your [^·.]{0,40}?limit|Usage limit reached/, resumesItself: CLAUDE_RESUMES_ITSELF },
];

/**
 * Claude's own limit on the PermissionRequest hook, in s (its `timeout` is in
 * seconds). The server's `permissionTimeout` (at most 3000 s) ends the wait
 * first; this only bounds a hook that hangs.
 */
export const PERMISSION_HOOK_TIMEOUT_S = 3600;

/**
 * The `--settings` JSON: hooks that run `<launcher> hook <event>`, and
 * `skipDangerousModePermissionPrompt` when the operator chose to skip
 * permissions. Without skipping, a PermissionRequest hook lets the operator
 * answer Claude's permission prompts from the deck (src/client/permission-hook.ts).
 */
export function claudeSettings(ctx: Pick<LaunchContext, 'launcher' | 'skipPermissions'>): Record<string, unknown> {
  const hooks: Record<string, unknown> = {};
  const hook = (name: string, timeout: number) => [{ hooks: [{ type: 'command', command: `${shellQuote(ctx.launcher)} hook ${name}`, timeout }] }];
  for (const [event, name] of Object.entries(HOOKS)) hooks[event] = hook(name, 30);
  if (ctx.skipPermissions) return { hooks, skipDangerousModePermissionPrompt: true };
  hooks.PermissionRequest = hook('permission', PERMISSION_HOOK_TIMEOUT_S);
  return { hooks };
}

/**
 * `claude`: Claude Code, interactive.
 *
 * New: `claude --session-id <uuid> --mcp-config <json> --append-system-prompt <instructions>
 * --allowedTools <workerdeck tools> --settings <file> [--dangerously-skip-permissions]
 * [config args] -- <task>`. The task goes after `--` because `--mcp-config` and
 * `--allowedTools` are variadic and would swallow it.
 * Resume: `claude --resume <uuid>` with the same flags and no task.
 */
export const claudePreset: PresetFactory = (override = {}) => {
  const command = override.command ?? 'claude';
  const build = (ctx: LaunchContext, head: string[], tail: string[]): Launch => {
    const settingsFile = path.join(ctx.workerDir, 'claude-settings.json');
    const mcp = mcpConfigFor(ctx);
    const server = mcp.mcpServers.workerdeck;
    // Wait mode: the per-server `timeout` (ms) is Claude's hard limit and its idle limit for this server.
    const timeout = askToolTimeoutMs(ctx);
    const mcpConfig = { mcpServers: { workerdeck: { ...server, env: workerIdentityEnv(ctx), ...(timeout === null ? {} : { timeout }) } } };
    const args = [
      ...head,
      '--mcp-config', JSON.stringify(mcpConfig),
      '--append-system-prompt', ctx.instructions,
      '--allowedTools', CLAUDE_WORKERDECK_TOOLS.join(','),
      '--settings', settingsFile,
      ...(ctx.skipPermissions ? ['--dangerously-skip-permissions'] : []),
      ...(override.args ?? []),
      ...tail,
    ];
    const env: Record<string, string> = {
      // 2.1.332 hides MCP tools behind ToolSearch; the worker must see ask/complete directly.
      ENABLE_TOOL_SEARCH: 'false',
      // As root, Claude refuses --dangerously-skip-permissions outside a sandbox.
      ...(ctx.skipPermissions && runningAsRoot() ? { IS_SANDBOX: '1' } : {}),
      ...(override.env ?? {}),
    };
    return {
      command,
      args,
      env,
      files: [{ path: settingsFile, content: `${JSON.stringify(claudeSettings(ctx), null, 2)}\n` }],
      typeAfterStart: null,
    };
  };
  return {
    name: 'claude',
    description: 'Claude Code: MCP tools, hooks for stop/permission signals, resumable',
    command,
    checkedVersion: CLAUDE_CHECKED_VERSION,
    installHint: 'npm install -g @anthropic-ai/claude-code',
    supportsSkipPermissions: true,
    submitDelayMs: override.submitDelayMs ?? 80,
    promptRules: [...CLAUDE_PROMPT_RULES, ...COMMON_PROMPT_RULES],
    limitRules: CLAUDE_LIMIT_RULES,
    launch(ctx) {
      return build(ctx, ['--session-id', ctx.sessionId], ctx.task.trim() === '' ? [] : ['--', ctx.task]);
    },
    resume(ctx) {
      return build(ctx, ['--resume', ctx.sessionId], []);
    },
  };
};
