import type { PresetFactory } from './index.js';

/** The built-in agent presets by name, in the order the spawn form cycles them. */
export const agentFactories: Record<string, PresetFactory> = {};
