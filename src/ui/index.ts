// The UI's entry points, loaded with one dynamic import when the deck opens.
export { loadTheme, NO_COLOR_THEME } from './theme.js';
export { createAppStore } from '../store.js';
export { buildKeymap } from '../core/commands.js';
export { parseDetachKey } from '../core/detach-key.js';
