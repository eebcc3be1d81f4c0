import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMON_PROMPT_RULES, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import { askToolTimeoutMs, type Launch, type LaunchContext, type PresetFile } from './preset.js';
import { stringOption, workerIdentityEnv } from './common.js';

/** The Gemini CLI version the flags below were checked against (`--help`, bundled JS). */
export const GEMINI_CHECKED_VERSION = '0.61.0';

/**
 * The instructions file, relative to the worktree. Gemini joins each
 * `context.fileName` to every dir it searches, so a relative path under the
 * (excluded) `.gemini/` dir is found in the worktree without touching a GEMINI.md.
 */
export const GEMINI_INSTRUCTIONS_NAME = '.gemini/workerdeck.md';

/** Screen patterns of Gemini CLI's own dialogs; COMMON_PROMPT_RULES follow. */
export const GEMINI_PROMPT_RULES: ScreenRule[] = [
  { pattern: /Allow execution[^\n]*\?|Apply this change\?|Do you want to proceed\?/i, reason: 'permission prompt' },
  { pattern: /Allow once[\s\S]*(Allow always|No, suggest changes)/i, reason: 'permission prompt' },
  { pattern: /Do you trust this folder\?/i, reason: 'trust prompt' },
  { pattern: /Get started[\s\S]*Login with Google|How would you like to authenticate/i, reason: 'login required' },
];

/**
 * The worktree's `.gemini/settings.json` with the workerdeck MCP server
 * (`trust: true`, so its tools are allowed) and the instructions file added to
 * `context.fileName`. A settings file the repo already has is merged, not replaced.
 * @param existing the current file's text, or null when there is none
 * @throws Error when the existing file is not a JSON object (for example JSON with comments).
 */
export function geminiSettings(ctx: Pick<LaunchContext, 'launcher' | 'workerId' | 'stateDir' | 'name'> & Partial<Pick<LaunchContext, 'askWait'>>, existing: string | null, file: string): Record<string, unknown> {
  let base: Record<string, unknown> = {};
  if (existing !== null && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`Cannot add the workerdeck MCP server to ${file}: it is not a plain JSON object. Remove its comments, or start the worker with another preset.`);
    }
    base = parsed as Record<string, unknown>;
  }
  const asObject = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const context = asObject(base.context);
  const names = typeof context.fileName === 'string' ? [context.fileName] : Array.isArray(context.fileName) ? (context.fileName as unknown[]).filter((n): n is string => typeof n === 'string') : ['GEMINI.md'];
  return {
    ...base,
    mcpServers: {
      ...asObject(base.mcpServers),
      workerdeck: { command: ctx.launcher, args: ['mcp'], env: workerIdentityEnv(ctx), trust: true, ...geminiTimeout(ctx) },
    },
    context: { ...context, fileName: names.includes(GEMINI_INSTRUCTIONS_NAME) ? names : [...names, GEMINI_INSTRUCTIONS_NAME] },
  };
}

/** Wait mode: the server's `timeout` (ms), Gemini's limit per tool call (10 min without it; progress does not extend it). */
function geminiTimeout(ctx: Partial<Pick<LaunchContext, 'askWait'>>): { timeout?: number } {
  const timeout = askToolTimeoutMs({ askWait: ctx.askWait ?? 0 });
  return timeout === null ? {} : { timeout };
}

/**
 * `gemini`: Google Gemini CLI, interactive.
 *
 * Files (in the worktree, kept out of git through info/exclude `.gemini/`):
 * `.gemini/settings.json` (MCP server, context file) and `.gemini/workerdeck.md` (instructions).
 * Env: `GEMINI_CLI_TRUST_WORKSPACE=true`, without which workspace settings and MCP servers are not loaded.
 * New: `gemini --session-id <uuid> [--approval-mode yolo] [config args] -i <task>`.
 * Resume: `gemini --resume <uuid> [--approval-mode yolo]`.
 */
export const geminiPreset: PresetFactory = (override = {}) => {
  const command = override.command ?? 'gemini';
  const build = (ctx: LaunchContext, head: string[], tail: string[]): Launch => {
    // Its settings must live in the folder it runs in; never write them into the user's own checkout.
    if (!ctx.worktree) {
      throw new Error('The gemini preset needs a worktree: its MCP settings go in <worktree>/.gemini/. Turn Worktree on (Space).');
    }
    const settingsFile = path.join(ctx.cwd, '.gemini', 'settings.json');
    let existing: string | null = null;
    try {
      existing = readFileSync(settingsFile, 'utf8');
    } catch {
      existing = null;
    }
    const files: PresetFile[] = [
      { path: settingsFile, content: `${JSON.stringify(geminiSettings(ctx, existing, settingsFile), null, 2)}\n`, exclude: '.gemini/' },
      { path: path.join(ctx.cwd, GEMINI_INSTRUCTIONS_NAME), content: `${ctx.instructions}\n`, exclude: '.gemini/' },
    ];
    return {
      command,
      args: [...head, ...(ctx.skipPermissions ? ['--approval-mode', 'yolo'] : []), ...(override.args ?? []), ...tail],
      env: { GEMINI_CLI_TRUST_WORKSPACE: 'true', ...(override.env ?? {}) },
      files,
      typeAfterStart: null,
    };
  };
  return {
    name: 'gemini',
    description: 'Google Gemini CLI: MCP tools via .gemini/settings.json, resumable',
    command,
    checkedVersion: GEMINI_CHECKED_VERSION,
    installHint: 'npm install -g @google/gemini-cli',
    supportsSkipPermissions: true,
    // Gemini takes an Enter within 30 ms of a printable key as a newline.
    submitDelayMs: Math.max(override.submitDelayMs ?? 600, 500),
    promptRules: [...GEMINI_PROMPT_RULES, ...COMMON_PROMPT_RULES],
    launch(ctx) {
      return build(ctx, ['--session-id', ctx.sessionId], ctx.task.trim() === '' ? [] : stringOption('-i', '--prompt-interactive', ctx.task));
    },
    resume(ctx) {
      return build(ctx, ['--resume', ctx.sessionId], []);
    },
  };
};
