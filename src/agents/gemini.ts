import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMON_PROMPT_RULES, type PermissionAsk, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import { askToolTimeoutMs, type Launch, type LaunchContext, type PresetFile } from './preset.js';
import { stringOption, workerIdentityEnv } from './common.js';
import { RESET_TIME, type LimitRule } from '../core/limit-detect.js';

/** The Gemini CLI version the flags below were checked against (`--help`, bundled JS). */
export const GEMINI_CHECKED_VERSION = '0.61.0';

/**
 * The instructions file, relative to the worktree. Gemini joins each
 * `context.fileName` to every dir it searches, so a relative path under the
 * (excluded) `.gemini/` dir is found in the worktree without touching a GEMINI.md.
 */
export const GEMINI_INSTRUCTIONS_NAME = '.gemini/workerdeck.md';

/** A screen row without the box border Gemini draws its dialogs in (`│ … │`). */
function unboxed(row: string): string {
  return row.replace(/^\s*│\s?/, '').replace(/\s*│\s*$/, '');
}

/**
 * What Gemini's tool approval (gemini 0.61.0's `Allow execution of [Shell]?` or
 * `Apply this change?`) asks, from its title row `? <Tool>  <subject>`: for `Shell` the
 * command, from the box under the title (its rows joined with a space, so a wrapped or
 * long command is whole), else the subject as the title shows it (`Writing to notes.txt`).
 * Null without a title row.
 * @param text screen rows joined with `\n`, as a ScreenRule sees them
 */
export function geminiApprovalAsk(text: string): PermissionAsk | null {
  const rows = text.split('\n').map(unboxed);
  let title = -1;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (/^\?\s+\S+\s{2,}\S/.test(rows[i] ?? '')) {
      title = i;
      break;
    }
  }
  if (title === -1) return null;
  const [, tool = '', subject = ''] = /^\?\s+(\S+)\s{2,}(.*)$/.exec(rows[title] ?? '') ?? [];
  if (tool === 'Shell' && /^╭/.test(rows[title + 1] ?? '')) {
    const lines: string[] = [];
    for (let i = title + 2; i < rows.length && !/^╰/.test(rows[i] ?? ''); i++) lines.push(unboxed(rows[i] ?? '').trim());
    const command = lines.filter(Boolean).join(' ');
    if (command !== '') return { tool, detail: command };
  }
  return { tool, detail: subject.trim() };
}

/** Screen patterns of Gemini CLI's own dialogs; COMMON_PROMPT_RULES follow. */
export const GEMINI_PROMPT_RULES: ScreenRule[] = [
  // Verified live against gemini 0.61.0 (a stand-in API through GOOGLE_GEMINI_BASE_URL): in
  // `Allow execution of [Shell]?` and `Apply this change?`, `1` allows once, `2` allows for
  // the rest of the session (the same command runs again unasked), Esc declines ("Request
  // cancelled."; the turn ends, and the declined call and its prompt are left out of what
  // the model gets next). The edit dialog has a `3. Modify with external editor` between.
  {
    pattern: /^[│\s]*(?:●\s*)?1\.\s+Allow\s+once\s*[│\s]*\n[│\s]*(?:●\s*)?2\.\s+Allow\s+for\s+this\s+session\b[\s\S]*?No,\s+suggest\s+changes\s+\(esc\)/m,
    reason: 'permission prompt',
    answers: { allowOnce: '1', allowAlways: '2', deny: '\u001b' },
    describe: geminiApprovalAsk,
  },
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
    limitRules: GEMINI_LIMIT_RULES,
    launch(ctx) {
      return build(ctx, ['--session-id', ctx.sessionId], ctx.task.trim() === '' ? [] : stringOption('-i', '--prompt-interactive', ctx.task));
    },
    resume(ctx) {
      return build(ctx, ['--resume', ctx.sessionId], []);
    },
  };
};

/**
 * Gemini CLI's quota messages (0.61.0, read in the bundle): `Usage limit
 * reached for <model>. … Access resets at 3:00 PM UTC.` (Intl short zone) and
 * `You have exhausted your daily quota on this model.`
 */
export const GEMINI_LIMIT_RULES: LimitRule[] = [
  { pattern: new RegExp(String.raw`Usage limit reached for \S+[^·]{0,300}?Access resets at ${RESET_TIME}`) },
  { pattern: /Usage limit reached for \S+|You have exhausted your daily quota/ },
];
