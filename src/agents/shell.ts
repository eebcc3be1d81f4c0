import { fillPlaceholders, plainLaunch, type Launch, type LaunchContext, type Preset } from './preset.js';
import type { PresetOverride } from './config.js';

/**
 * `shell`: the user's `$SHELL`, interactive. A non-empty task is typed as its first line.
 */
export function shellPreset(override: PresetOverride = {}): Preset {
  return {
    name: 'shell',
    description: 'Your $SHELL; the task is typed as its first line',
    command: override.command ?? '',
    checkedVersion: null,
    installHint: null,
    supportsSkipPermissions: false,
    submitDelayMs: override.submitDelayMs ?? 0,
    promptRules: [],
    launch(ctx: LaunchContext): Launch {
      const command = override.command ?? ctx.env.SHELL ?? '/bin/sh';
      const launch = plainLaunch(command, (override.args ?? []).map((a) => fillPlaceholders(a, ctx)));
      launch.env = { ...(override.env ?? {}) };
      launch.typeAfterStart = ctx.task.trim() === '' ? null : ctx.task;
      return launch;
    },
    resume(ctx: LaunchContext): Launch {
      return { ...this.launch({ ...ctx, task: '' }) };
    },
  };
}

/**
 * `custom` and every user preset in the config: a command from the config,
 * with placeholders in its args (`{task}`, `{name}`, `{sessionId}`,
 * `{mcpConfig}`, `{instructions}`, `{worktree}`).
 * @throws Error at launch when the config gives no command.
 */
export function commandPreset(name: string, override: PresetOverride = {}): Preset {
  /** The command with placeholders filled in its args and env values. */
  const commandLaunch = (command: string, args: string[], ctx: LaunchContext): Launch => {
    const launch = plainLaunch(command, args.map((a) => fillPlaceholders(a, ctx)));
    launch.env = Object.fromEntries(Object.entries(override.env ?? {}).map(([k, v]) => [k, fillPlaceholders(v, ctx)]));
    return launch;
  };
  return {
    name,
    description: override.description ?? (override.command ? `${override.command} ${(override.args ?? []).join(' ')}`.trim() : 'a command from the config (presets.custom.command)'),
    command: override.command ?? '',
    checkedVersion: null,
    installHint: override.command ? null : `set presets.${name}.command in .workerdeck.json`,
    supportsSkipPermissions: false,
    submitDelayMs: override.submitDelayMs ?? 80,
    promptRules: [],
    launch(ctx: LaunchContext): Launch {
      if (!override.command) {
        throw new Error(`The ${name} preset has no command. Set presets.${name}.command in .workerdeck.json or the user config.`);
      }
      return commandLaunch(override.command, override.args ?? [], ctx);
    },
    resume: override.resumeArgs
      ? (ctx: LaunchContext): Launch => {
          return commandLaunch(override.command ?? '', override.resumeArgs ?? [], ctx);
        }
      : undefined,
  };
}
