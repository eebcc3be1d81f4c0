import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigFile, PresetOverride, ValidateConfig } from './config-schema.js';

// The zod schemas are in config-schema.ts, loaded only to read a config file that exists:
// without one, the TUI's first frame waits on no zod.
export type { ConfigFile, PresetOverride, ValidateConfig } from './config-schema.js';

/** A validate command with its defaults filled in. */
export interface ValidateSpec {
  command: string;
  /** Seconds before it is killed and counts as timed out. */
  timeout: number;
  /** How many times a failure nudges the worker before it is left failed. */
  retries: number;
}

/** Default seconds a validate command may run. */
export const VALIDATE_TIMEOUT_S = 600;

/** The validate command for a preset: its own `presets.<name>.validate`, else the top-level `validate`, else null. */
export function validateFor(config: Pick<Config, 'validate' | 'presets'>, preset: string): ValidateSpec | null {
  const raw = config.presets[preset]?.validate ?? config.validate;
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return { command: raw, timeout: VALIDATE_TIMEOUT_S, retries: 0 };
  return { command: raw.command, timeout: raw.timeout ?? VALIDATE_TIMEOUT_S, retries: raw.retries ?? 0 };
}

/** A worker's watchdog settings: limits in s (0 = off) and what a limit that runs out does. */
export interface WatchdogSpec {
  timeout: number;
  idleTimeout: number;
  onTimeout: 'fail' | 'nudge';
  /** Seconds before an unanswered question is recalled to the operator; 0 = never. */
  remindAfter: number;
  /** Nudge the worker on once its usage limit has reset. */
  resumeAfterLimit: boolean;
}

/**
 * The watchdog of a worker: each field from the spawn's own value, else its
 * preset's `presets.<name>`, else the config's top level, else off (`fail`).
 */
export function watchdogFor(
  config: Pick<Config, 'watchdog' | 'presets'>,
  preset: string,
  own: { timeout?: number; idleTimeout?: number } = {},
): WatchdogSpec {
  const p = config.presets[preset] ?? {};
  return {
    timeout: own.timeout ?? p.timeout ?? config.watchdog.timeout ?? 0,
    idleTimeout: own.idleTimeout ?? p.idleTimeout ?? config.watchdog.idleTimeout ?? 0,
    onTimeout: p.onTimeout ?? config.watchdog.onTimeout ?? 'fail',
    remindAfter: p.remindAfter ?? config.watchdog.remindAfter ?? 0,
    resumeAfterLimit: p.resumeAfterLimit ?? config.watchdog.resumeAfterLimit ?? false,
  };
}

/** Default wait for the operator's answer to a permission hook, in s (config `permissionTimeout`; src/server/permissions.ts). */
export const DEFAULT_PERMISSION_TIMEOUT_S = 300;

/** Default seconds a waiting `ask` waits for the operator. */
export const ASK_WAIT_S = 1800;

/**
 * The presets whose ask mode defaults to `wait`: the ones where a waited ask was run
 * end to end against the pinned CLI (README "Ask modes"). Others type, unless configured.
 */
export const ASK_WAIT_PRESETS: ReadonlySet<string> = new Set(['claude']);

/**
 * How long a worker of `preset` waits in `ask`, in s; 0 = type mode. Each key from
 * `presets.<name>`, else the top level, else the default: `wait` for ASK_WAIT_PRESETS, ASK_WAIT_S.
 */
export function askWaitFor(config: Pick<Config, 'ask' | 'presets'>, preset: string): number {
  const p = config.presets[preset] ?? {};
  const mode = p.ask ?? config.ask.mode ?? (ASK_WAIT_PRESETS.has(preset) ? 'wait' : 'type');
  return mode === 'wait' ? (p.askWait ?? config.ask.wait ?? ASK_WAIT_S) : 0;
}

/** The merged config with defaults filled in. */
export interface Config {
  defaultAgent: string | null;
  presets: Record<string, PresetOverride>;
  keys: Record<string, string | string[]>;
  detachKey: string;
  theme: string | null;
  skipPermissions: boolean;
  nudge: string;
  notify: NotifyConfig;
  /** Seconds the server idles (no workers, no clients) before it exits; 0 = never. */
  serverIdleExit: number;
  mergeStrategy: 'merge' | 'squash' | 'rebase';
  /** The validate command of the config files (presets may have their own), or null. */
  validate: ValidateConfig | null;
  /** The top-level watchdog keys as given (presets may have their own); see `watchdogFor`. */
  watchdog: { timeout?: number; idleTimeout?: number; onTimeout?: 'fail' | 'nudge'; remindAfter?: number; resumeAfterLimit?: boolean };
  /** Most workers running at once (spawns beyond it are queued); 0 = no limit. */
  maxWorkers: number;
  /** Seconds a permission hook waits for the operator's answer (src/server/permissions.ts). */
  permissionTimeout: number;
  /** The top-level ask keys as given (presets may have their own); see `askWaitFor`. */
  ask: { mode?: 'wait' | 'type'; wait?: number };
  /** The files that were read, user file first. */
  sources: string[];
  /** Settings that were read but not applied, each a sentence for the operator. */
  notices: string[];
}

/** Notifications with their defaults filled in. */
export interface NotifyConfig {
  bell: boolean;
  title: boolean;
  /** The shell command run with each event as a JSON line on stdin, or null. */
  command: string | null;
  /** Seconds before the command is killed. */
  timeout: number;
  desktop: 'off' | 'osc9' | 'osc777';
  desktopWhen: 'unfocused' | 'always';
}

export const DEFAULT_NUDGE =
  'Please continue with your task. If you are blocked, call the workerdeck `ask` tool (or run `workerdeck mail ask "<question>"`) and end your turn. When you are done, call `complete` with a summary (or run `workerdeck mail complete "<summary>"`).';

export class ConfigError extends Error {}

/** Where the user's and the repo's config files live. */
export function configPaths(env: NodeJS.ProcessEnv, repoTop: string | null): { user: string; repo: string | null } {
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return {
    user: path.join(configHome, 'workerdeck', 'config.json'),
    repo: repoTop ? path.join(repoTop, '.workerdeck.json') : null,
  };
}

/**
 * Read and validate one config file. Returns null when it does not exist.
 * @throws ConfigError naming the file and the field, e.g.
 *   `.workerdeck.json: field "presets.custom.args": expected array, received string`.
 */
export async function readConfigFile(file: string): Promise<ConfigFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  const { parseConfigText } = await import('./config-schema.js');
  return parseConfigText(file, text);
}

/** Merge user and repo config; the repo's values win, and presets merge per preset. */
export function mergeConfig(user: ConfigFile | null, repo: ConfigFile | null, sources: string[]): Config {
  const presets: Record<string, PresetOverride> = { ...(user?.presets ?? {}) };
  for (const [name, override] of Object.entries(repo?.presets ?? {})) {
    presets[name] = { ...(presets[name] ?? {}), ...override };
  }
  return {
    defaultAgent: repo?.defaultAgent ?? user?.defaultAgent ?? null,
    presets,
    keys: { ...(user?.keys ?? {}), ...(repo?.keys ?? {}) },
    detachKey: repo?.detachKey ?? user?.detachKey ?? 'ctrl+]',
    theme: repo?.theme ?? user?.theme ?? null,
    // A repo may turn skipping permissions off, never on: a cloned repo must not run agents unchecked.
    skipPermissions: repo?.skipPermissions === false ? false : (user?.skipPermissions ?? false),
    nudge: repo?.nudge ?? user?.nudge ?? DEFAULT_NUDGE,
    notify: {
      bell: repo?.notify?.bell ?? user?.notify?.bell ?? true,
      title: repo?.notify?.title ?? user?.notify?.title ?? true,
      command: repo?.notify?.command ?? user?.notify?.command ?? null,
      timeout: repo?.notify?.timeout ?? user?.notify?.timeout ?? 10,
      desktop: repo?.notify?.desktop ?? user?.notify?.desktop ?? 'off',
      desktopWhen: repo?.notify?.desktopWhen ?? user?.notify?.desktopWhen ?? 'unfocused',
    },
    serverIdleExit: repo?.serverIdleExit ?? user?.serverIdleExit ?? 600,
    mergeStrategy: repo?.mergeStrategy ?? user?.mergeStrategy ?? 'merge',
    validate: repo?.validate ?? user?.validate ?? null,
    watchdog: pick({
      timeout: repo?.timeout ?? user?.timeout,
      idleTimeout: repo?.idleTimeout ?? user?.idleTimeout,
      onTimeout: repo?.onTimeout ?? user?.onTimeout,
      remindAfter: repo?.remindAfter ?? user?.remindAfter,
      resumeAfterLimit: repo?.resumeAfterLimit ?? user?.resumeAfterLimit,
    }),
    maxWorkers: repo?.maxWorkers ?? user?.maxWorkers ?? 0,
    permissionTimeout: repo?.permissionTimeout ?? user?.permissionTimeout ?? DEFAULT_PERMISSION_TIMEOUT_S,
    ask: pick({ mode: repo?.ask ?? user?.ask, wait: repo?.askWait ?? user?.askWait }),
    sources,
    notices:
      repo?.skipPermissions === true
        ? [`${sources.at(-1) ?? '.workerdeck.json'}: "skipPermissions": true is ignored in a repo's file; set it in your user config or pass --skip-permissions.`]
        : [],
  };
}

/** `fields` without its undefined values (exactOptionalPropertyTypes). */
function pick<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * Load the user's `$XDG_CONFIG_HOME/workerdeck/config.json` and the repo's
 * `<repo>/.workerdeck.json`, validate both, and merge them.
 * @throws ConfigError naming the file and the field.
 */
export async function loadConfig(env: NodeJS.ProcessEnv, repoTop: string | null): Promise<Config> {
  const paths = configPaths(env, repoTop);
  const user = await readConfigFile(paths.user);
  const repo = paths.repo ? await readConfigFile(paths.repo) : null;
  const sources = [user ? paths.user : null, repo ? paths.repo : null].filter((s): s is string => s !== null);
  return mergeConfig(user, repo, sources);
}

/**
 * Load the config, and when a file is broken, run on without that file:
 * `warnings` names the file and the field, to show the operator.
 */
export async function loadConfigTolerant(env: NodeJS.ProcessEnv, repoTop: string | null): Promise<{ config: Config; warnings: string[] }> {
  const warnings: string[] = [];
  const paths = configPaths(env, repoTop);
  // Each file on its own: when both are broken, both are reported.
  const tolerant = async (file: string | null): Promise<ConfigFile | null> => {
    if (!file) return null;
    try {
      return await readConfigFile(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      warnings.push(`${error.message}. That file is ignored until it is fixed.`);
      return null;
    }
  };
  const user = await tolerant(paths.user);
  const repo = await tolerant(paths.repo);
  const config = mergeConfig(user, repo, [user ? paths.user : null, repo ? paths.repo : null].filter((s): s is string => s !== null));
  warnings.push(...config.notices);
  return { config, warnings };
}
