import { claudePreset } from './claude.js';
import { codexPreset } from './codex.js';
import { geminiPreset } from './gemini.js';
import type { PresetFactory } from './index.js';
import { opencodePreset } from './opencode.js';

/** The built-in agent presets by name, in the order the spawn form cycles them. */
export const agentFactories: Record<string, PresetFactory> = {
  claude: claudePreset,
  codex: codexPreset,
  gemini: geminiPreset,
  opencode: opencodePreset,
};
