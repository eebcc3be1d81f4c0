import path from 'node:path';
import { COMMON_PROMPT_RULES, type ScreenRule } from '../core/prompt-detect.js';
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

/** Screen patterns of Claude Code's own dialogs; COMMON_PROMPT_RULES follow. */
export const CLAUDE_PROMPT_RULES: ScreenRule[] = [
  { pattern: /Do you want to [^\n]*\?\s*(\n[^\n]*){0,8}\n\s*[›>❯]?\s*1\.\s*Yes/, reason: 'permission prompt' },
  { pattern: /Bypass Permissions mode[\s\S]*No, exit/i, reason: 'skip-permissions warning' },
  { pattern: /Yes, (I trust|proceed)[^\n]*\n[\s\S]*No, exit/i, reason: 'trust prompt' },
  { pattern: /Select login method|Please run \/login|Invalid API key/i, reason: 'login required' },
  { pattern: /Try the new fullscreen renderer\?/i, reason: 'dialog' },
];

/**
 * The `--settings` JSON: hooks that run `<launcher> hook <event>`, and
 * `skipDangerousModePermissionPrompt` when the operator chose to skip permissions.
 */
export function claudeSettings(ctx: Pick<LaunchContext, 'launcher' | 'skipPermissions'>): Record<string, unknown> {
  const hooks: Record<string, unknown> = {};
  for (const [event, name] of Object.entries(HOOKS)) {
    hooks[event] = [{ hooks: [{ type: 'command', command: `${shellQuote(ctx.launcher)} hook ${name}`, timeout: 30 }] }];
  }
  return ctx.skipPermissions ? { hooks, skipDangerousModePermissionPrompt: true } : { hooks };
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
    launch(ctx) {
      return build(ctx, ['--session-id', ctx.sessionId], ctx.task.trim() === '' ? [] : ['--', ctx.task]);
    },
    resume(ctx) {
      return build(ctx, ['--resume', ctx.sessionId], []);
    },
  };
};
