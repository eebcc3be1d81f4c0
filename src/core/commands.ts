/**
 * The command registry and keymap. Every command the operator can run is
 * listed here once; the help overlay, the footer hints and user key overrides
 * (`keys` in the config) are all generated from it. Pure: no I/O.
 *
 * Key names are the ones `src/ui/keys.ts` produces: a printable character
 * (`n`, `D`, `?`), or a named key with optional modifiers (`enter`, `space`,
 * `up`, `pageup`, `ctrl+c`, `shift+tab`, `meta+enter`).
 */

export type CommandContext = 'list' | 'global';

export interface CommandSpec {
  id: string;
  keys: string[];
  description: string;
  /** Short label for the footer, or null to keep it out of the footer. */
  hint: string | null;
  context: CommandContext;
}

export const COMMANDS: readonly CommandSpec[] = [
  { id: 'spawn', keys: ['n'], description: 'Spawn a new worker', hint: 'new', context: 'list' },
  { id: 'attach', keys: ['enter', 'a'], description: 'Attach to the selected worker (detach with the detach key)', hint: 'attach', context: 'list' },
  { id: 'reply', keys: ['r'], description: "Reply to the selected worker's oldest question, else the deck's oldest", hint: 'reply', context: 'list' },
  { id: 'next-attention', keys: ['space'], description: 'Jump to the next worker that needs attention', hint: 'next', context: 'list' },
  { id: 'nudge', keys: ['u'], description: 'Nudge the selected worker to continue and report', hint: 'nudge', context: 'list' },
  { id: 'stop', keys: ['x'], description: 'Stop the selected worker and its whole session (SIGKILL after 5 s)', hint: 'stop', context: 'list' },
  { id: 'resume', keys: ['R'], description: 'Resume a stopped or exited worker in its worktree', hint: null, context: 'list' },
  { id: 'remove', keys: ['D'], description: 'Remove a worker that is not running from the list (keeps its worktree)', hint: null, context: 'list' },
  { id: 'details', keys: ['i'], description: "Show the selected worker's details and why it is in its status", hint: 'info', context: 'list' },
  { id: 'select-next', keys: ['j', 'down'], description: 'Select the next worker', hint: null, context: 'list' },
  { id: 'select-prev', keys: ['k', 'up'], description: 'Select the previous worker', hint: null, context: 'list' },
  { id: 'scroll-up', keys: ['pageup'], description: 'Scroll the preview back through the scrollback', hint: null, context: 'list' },
  { id: 'scroll-down', keys: ['pagedown'], description: 'Scroll the preview forward', hint: null, context: 'list' },
  { id: 'mail-up', keys: ['['], description: 'Scroll the mail thread up', hint: null, context: 'list' },
  { id: 'mail-down', keys: [']'], description: 'Scroll the mail thread down', hint: null, context: 'list' },
  { id: 'warnings', keys: ['w'], description: 'Show the warnings: bad mail, broken config, failed writes', hint: null, context: 'list' },
  { id: 'help', keys: ['?'], description: 'Show or hide this help', hint: 'help', context: 'global' },
  { id: 'quit', keys: ['q', 'ctrl+c'], description: 'Quit (asks first while workers run; worktrees are kept)', hint: 'quit', context: 'list' },
];

export type CommandId = (typeof COMMANDS)[number]['id'];

/** A resolved keymap: key name → command id, plus each command's effective keys. */
export interface Keymap {
  byKey: Map<string, string>;
  keysOf: Map<string, string[]>;
}

/**
 * Build the keymap from the registry and the config's `keys` overrides.
 * An override replaces all default keys of that command.
 * @throws Error naming the command id when an override names an unknown command
 *   or binds a key that another command already uses.
 */
export function buildKeymap(overrides: Record<string, string | string[]> = {}): Keymap {
  const known = new Set(COMMANDS.map((c) => c.id));
  for (const id of Object.keys(overrides)) {
    if (!known.has(id)) {
      throw new Error(`keys.${id}: unknown command "${id}". Known commands: ${[...known].join(', ')}.`);
    }
  }
  const byKey = new Map<string, string>();
  const keysOf = new Map<string, string[]>();
  for (const command of COMMANDS) {
    const override = overrides[command.id];
    const keys = override === undefined ? command.keys : Array.isArray(override) ? override : [override];
    keysOf.set(command.id, [...keys]);
  }
  for (const [id, keys] of keysOf) {
    for (const key of keys) {
      const other = byKey.get(key);
      if (other !== undefined && other !== id) {
        // Name the command the user overrode, not the one whose default key it took.
        const [field, holder] = id in overrides || !(other in overrides) ? [id, other] : [other, id];
        throw new Error(`keys.${field}: key "${key}" is already bound to "${holder}".`);
      }
      byKey.set(key, id);
    }
  }
  return { byKey, keysOf };
}

/** How a key name reads in hints, e.g. `enter` → `⏎`, `ctrl+c` → `^C`. */
export function displayKey(key: string): string {
  const named: Record<string, string> = {
    enter: '⏎',
    space: 'space',
    up: '↑',
    down: '↓',
    left: '←',
    right: '→',
    pageup: 'PgUp',
    pagedown: 'PgDn',
    escape: 'Esc',
    tab: 'Tab',
    'shift+tab': 'S-Tab',
  };
  if (named[key]) return named[key];
  const ctrl = /^ctrl\+(.)$/.exec(key);
  if (ctrl?.[1]) return `^${ctrl[1].toUpperCase()}`;
  return key;
}

/** Footer hints `[{key, label}]` in registry order, first key of each hinted command. */
export function footerHints(keymap: Keymap): { key: string; label: string }[] {
  const hints: { key: string; label: string }[] = [];
  for (const command of COMMANDS) {
    const key = keymap.keysOf.get(command.id)?.[0];
    if (command.hint && key) hints.push({ key: displayKey(key), label: command.hint });
  }
  return hints;
}
