/**
 * The zod schemas of `config.json` and `.workerdeck.json`, and their JSON
 * Schema. Apart from config.ts so that a start with no config file loads no
 * zod (config.ts imports this when it reads a file).
 */
import { z } from 'zod';
import { describeIssue } from '../core/validate.js';
import { ConfigError } from './config.js';

/**
 * `validate`: a shell command run in the worker's worktree when it completes
 * and on `v`, as a string or `{command, timeout (s, default 600), retries (default 0)}`.
 */
const validateSchema = z.union([
  z.string().min(1).max(4000),
  z.strictObject({
    command: z.string().min(1).max(4000),
    timeout: z.number().int().min(1).max(24 * 3600).optional(),
    retries: z.number().int().min(0).max(10).optional(),
  }),
]);

export type ValidateConfig = z.infer<typeof validateSchema>;

/** A watchdog limit in s; 0 turns it off. */
const seconds = z.number().int().min(0).max(30 * 24 * 3600);

/** The watchdog keys a preset or the config may set (src/server/watchdog.ts). */
const watchdogKeys = {
  /** Wall-clock seconds a worker may run. */
  timeout: seconds.optional(),
  /** Seconds with no output and no mail (while it is not waiting on the operator). */
  idleTimeout: seconds.optional(),
  /** What a watchdog does when it fires: stop the worker and fail it, or nudge it. */
  onTimeout: z.enum(['fail', 'nudge']).optional(),
  /** Seconds a question may wait unanswered before the deck reminds the operator (again every as many). */
  remindAfter: seconds.optional(),
  /** Nudge a worker to continue once the usage limit it hit has reset (src/server/limits.ts). */
  resumeAfterLimit: z.boolean().optional(),
};

/** The ask-mode keys a preset or the config may set (src/mail/ask-wait.ts). */
const askKeys = {
  /** `wait`: `ask` waits for the reply and returns it as its result; `type`: the reply is typed into the PTY. */
  ask: z.enum(['wait', 'type']).optional(),
  /** Seconds a waiting `ask` waits before it falls back to typing (the preset raises its CLI's MCP tool timeout above it). */
  askWait: z.number().int().min(1).max(24 * 3600).optional(),
};

const presetOverrideSchema = z.strictObject({
  validate: validateSchema.optional(),
  ...watchdogKeys,
  ...askKeys,
  command: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  resumeArgs: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  description: z.string().optional(),
  submitDelayMs: z.number().int().min(0).max(5000).optional(),
});

export type PresetOverride = z.infer<typeof presetOverrideSchema>;

/** zod schema of `config.json` and `.workerdeck.json`. Unknown keys are refused, so typos are caught. */
export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  defaultAgent: z.string().min(1).optional(),
  presets: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'preset names are lowercase letters, digits, - and _'), presetOverrideSchema).optional(),
  keys: z.record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
  detachKey: z.string().optional(),
  theme: z.string().min(1).optional(),
  skipPermissions: z.boolean().optional(),
  nudge: z.string().min(1).max(4000).optional(),
  notify: z
    .strictObject({
      bell: z.boolean().optional(),
      title: z.boolean().optional(),
      /** A shell command run with each event as one JSON line on stdin (src/server/notify.ts). */
      command: z.string().min(1).max(4000).optional(),
      /** Seconds before the command is killed (10). */
      timeout: z.number().int().min(1).max(3600).optional(),
      /** Desktop notifications from the TUI: OSC 9 (iTerm2, WezTerm, kitty, foot) or OSC 777 (rxvt, VTE); off by default. */
      desktop: z.enum(['off', 'osc9', 'osc777']).optional(),
      /** Send them only while the terminal has no focus (focus events), or always. */
      desktopWhen: z.enum(['unfocused', 'always']).optional(),
    })
    .optional(),
  /** Seconds the server waits with no workers and no clients before it exits; 0 keeps it running. */
  serverIdleExit: z.number().int().min(0).max(7 * 24 * 3600).optional(),
  /** How m merges a worker's branch: a merge commit, a squash, or a rebase and fast-forward. */
  mergeStrategy: z.enum(['merge', 'squash', 'rebase']).optional(),
  validate: validateSchema.optional(),
  ...watchdogKeys,
  ...askKeys,
  /** Most workers running at once; spawns beyond it wait in the queue. 0 = no limit. */
  maxWorkers: z.number().int().min(0).max(1000).optional(),
  /** Seconds an agent's permission hook waits for the operator's y / A / N before the agent shows its own dialog (300). */
  permissionTimeout: z.number().int().min(1).max(3000).optional(),
});

export type ConfigFile = z.infer<typeof configSchema>;

/**
 * The JSON Schema (draft 2020-12) of `config.json` and `.workerdeck.json`,
 * generated from `configSchema`, for editors: `schema/workerdeck.schema.json`
 * is this, written by `npm run schema` (a test keeps the two the same).
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input' }),
    title: 'workerdeck config',
    description: 'workerdeck config: $XDG_CONFIG_HOME/workerdeck/config.json (the user\'s) and <repo>/.workerdeck.json (the repo\'s, which wins key by key).',
  };
}

/** Validate config text; `file` is only used in messages. */
export function parseConfigText(file: string, text: string): ConfigFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${file}: ${describeIssue(parsed.error)}`);
  return parsed.data;
}
