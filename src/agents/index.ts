import type { Config } from './config.js';
import { resolveCommand, type Preset } from './preset.js';
import { commandPreset, shellPreset } from './shell.js';

/** Agent presets in the order the default agent is picked from when installed. */
export const AGENT_PREFERENCE = ['claude', 'codex', 'gemini', 'opencode'] as const;

/** Factories of the built-in agent presets; filled in by src/agents/<agent>.ts. */
export type PresetFactory = (override: Config['presets'][string] | undefined) => Preset;

/**
 * All presets: the built-ins (`shell`, `custom`, and the agent presets passed
 * in), then every other preset named in the config as a user preset.
 */
export function buildPresets(config: Config, agents: Record<string, PresetFactory> = {}): Map<string, Preset> {
  const presets = new Map<string, Preset>();
  for (const [name, factory] of Object.entries(agents)) presets.set(name, factory(config.presets[name]));
  presets.set('shell', shellPreset(config.presets.shell));
  presets.set('custom', commandPreset('custom', config.presets.custom));
  for (const [name, override] of Object.entries(config.presets)) {
    if (!presets.has(name)) presets.set(name, commandPreset(name, override));
  }
  return presets;
}

/** Whether a preset's program can be found; shell is always available. */
export function isInstalled(preset: Preset, env: NodeJS.ProcessEnv, cwd: string): boolean {
  if (preset.name === 'shell') return true;
  if (!preset.command) return false;
  return resolveCommand(preset.command, env.PATH, cwd) !== null;
}

/**
 * The default agent: `--agent`, else the config's `defaultAgent`, else the
 * first installed of claude, codex, gemini and opencode, else `shell`.
 * @throws Error when `--agent` or `defaultAgent` names an unknown preset.
 */
export function pickDefaultAgent(
  presets: Map<string, Preset>,
  flag: string | undefined,
  config: Config,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string {
  return pickDefaultAgentFrom(
    [...presets.keys()],
    (name) => {
      const preset = presets.get(name);
      return preset !== undefined && isInstalled(preset, env, cwd);
    },
    flag,
    config,
  );
}

/**
 * `pickDefaultAgent` on preset names and an `installed` test, for a client
 * that knows the presets only from the server's welcome.
 * @throws Error when `--agent` or `defaultAgent` names an unknown preset.
 */
export function pickDefaultAgentFrom(
  names: string[],
  installed: (name: string) => boolean,
  flag: string | undefined,
  config: Pick<Config, 'defaultAgent' | 'sources'>,
): string {
  for (const [name, source] of [
    [flag, '--agent'],
    [config.defaultAgent, `defaultAgent in ${config.sources.at(-1) ?? 'the config'}`],
  ] as const) {
    if (!name) continue;
    if (!names.includes(name)) {
      throw new Error(`Unknown agent preset "${name}" (from ${source}). Known presets: ${names.join(', ')}.`);
    }
    return name;
  }
  for (const name of AGENT_PREFERENCE) {
    if (names.includes(name) && installed(name)) return name;
  }
  return 'shell';
}
