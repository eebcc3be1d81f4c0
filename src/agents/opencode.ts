import path from 'node:path';
import { COMMON_PROMPT_RULES, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import type { Launch, LaunchContext } from './preset.js';
import { stringOption, workerIdentityEnv } from './common.js';

/** The opencode version the flags below were checked against (`--help`). */
export const OPENCODE_CHECKED_VERSION = '1.18.33';

/**
 * The `OPENCODE_CONFIG_CONTENT` JSON: the workerdeck MCP server as a local
 * server, and the instructions file (absolute path) in `instructions`.
 */
export function opencodeConfig(ctx: Pick<LaunchContext, 'launcher' | 'workerId' | 'stateDir' | 'name'>, instructionsFile: string): Record<string, unknown> {
  return {
    $schema: 'https://opencode.ai/config.json',
    mcp: {
      workerdeck: { type: 'local', command: [ctx.launcher, 'mcp'], environment: workerIdentityEnv(ctx), enabled: true },
    },
    instructions: [instructionsFile],
  };
}

/** Screen patterns of opencode's own dialogs; COMMON_PROMPT_RULES follow. */
export const OPENCODE_PROMPT_RULES: ScreenRule[] = [
  { pattern: /Permission required|Allow once[\s\S]*(Allow always|Reject)/i, reason: 'permission prompt' },
];

/**
 * `opencode`: the opencode TUI.
 *
 * Env: `OPENCODE_CONFIG_CONTENT` (MCP server, instructions file in the worker's dir).
 * New: `opencode [--auto] [config args] --prompt <task>`.
 * Resume: `opencode --session <id>` when the session id is an opencode id (`ses_…`),
 * else `opencode --continue`: opencode cannot be given a session id up front.
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
      return build(ctx, ctx.sessionId.startsWith('ses_') ? ['--session', ctx.sessionId] : ['--continue'], []);
    },
  };
};
