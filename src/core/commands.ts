/**
 * The command registry and keymap. Every command the operator can run is
 * listed here once; the help overlay, the footer hints and user key overrides
 * (`keys` in the config) are all generated from it. Pure: no I/O.
 *
 * Key names are the ones `src/ui/keys.ts` produces: a printable character
 * (`n`, `D`, `?`), or a named key with optional modifiers (`enter`, `space`,
 * `up`, `pageup`, `ctrl+c`, `shift+tab`, `meta+enter`).
 */

/**
 * The layer a command belongs to: the worker list, the spawn form, the reply
 * box, a y/n confirmation, or an overlay (help, details, warnings). `global`
 * commands work in the list and close the overlay they opened.
 */
export type CommandContext = 'list' | 'global' | 'form' | 'reply' | 'confirm' | 'overlay' | 'diff';

/** Every layer, in the order the help lists them. */
export const CONTEXTS: readonly CommandContext[] = ['list', 'global', 'form', 'reply', 'confirm', 'overlay', 'diff'];

/** How each layer is named in the help. */
export const CONTEXT_TITLES: Record<CommandContext, string> = {
  list: 'Worker list',
  global: 'Anywhere in the deck',
  form: 'Spawn form (n)',
  reply: 'Reply box (r)',
  confirm: 'Confirmations (y/n)',
  overlay: 'Help, details and warnings',
  diff: 'Diff view (d)',
};

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
  { id: 'stop', keys: ['x'], description: 'Stop the selected worker and its whole session, or cancel a queued one', hint: 'stop', context: 'list' },
  { id: 'queue-up', keys: ['K'], description: 'Move a queued worker one place forward in the queue', hint: null, context: 'list' },
  { id: 'queue-down', keys: ['J'], description: 'Move a queued worker one place back in the queue', hint: null, context: 'list' },
  { id: 'resume', keys: ['R'], description: 'Resume a stopped or exited worker in its worktree', hint: null, context: 'list' },
  { id: 'remove', keys: ['D'], description: 'Remove a worker that is not running, with its worktree and branch (kept in the trash first; names what would be lost and asks)', hint: null, context: 'list' },
  { id: 'diff', keys: ['d'], description: "Show the selected worker's changes against its base: files, +/- counts and hunks", hint: null, context: 'list' },
  { id: 'validate', keys: ['v'], description: "Run the config's validate command (e.g. npm test) in the selected worker's worktree now", hint: null, context: 'list' },
  { id: 'push', keys: ['P'], description: "Push the selected worker's branch to its remote and open a pull request with gh (when installed)", hint: null, context: 'list' },
  { id: 'merge', keys: ['m'], description: "Merge the selected worker's branch into its base, after a preview (commits, uncommitted files, conflicts)", hint: null, context: 'list' },
  { id: 'details', keys: ['i'], description: "Show the selected worker's details and why it is in its status", hint: 'info', context: 'list' },
  { id: 'select-next', keys: ['j', 'down'], description: 'Select the next worker', hint: null, context: 'list' },
  { id: 'select-prev', keys: ['k', 'up'], description: 'Select the previous worker', hint: null, context: 'list' },
  { id: 'scroll-up', keys: ['pageup'], description: 'Scroll the preview back through the scrollback', hint: null, context: 'list' },
  { id: 'scroll-down', keys: ['pagedown'], description: 'Scroll the preview forward', hint: null, context: 'list' },
  { id: 'mail-up', keys: ['['], description: 'Scroll the mail thread up', hint: null, context: 'list' },
  { id: 'mail-down', keys: [']'], description: 'Scroll the mail thread down', hint: null, context: 'list' },
  { id: 'dismiss', keys: ['X'], description: 'Dismiss the mail of a worker this deck does not know (the files stay in mail/cur)', hint: null, context: 'list' },
  // The footer names these first, and the help lists them, only while a permission prompt waits (PERMISSION_HINTS).
  { id: 'permission.allow', keys: ['y'], description: "Allow the selected worker's permission prompt once, without attaching", hint: null, context: 'list' },
  { id: 'permission.always', keys: ['A'], description: 'Allow it always (where its agent offers that)', hint: null, context: 'list' },
  { id: 'permission.deny', keys: ['N'], description: 'Deny it, with an optional reason the agent receives', hint: null, context: 'list' },
  { id: 'warnings', keys: ['w'], description: 'Show the warnings: bad mail, broken config, failed writes', hint: null, context: 'list' },
  { id: 'help', keys: ['?'], description: 'Show or hide this help', hint: 'help', context: 'global' },
  { id: 'form.next-field', keys: ['tab', 'down'], description: 'Next field', hint: 'next field', context: 'form' },
  { id: 'form.prev-field', keys: ['shift+tab', 'up'], description: 'Previous field', hint: null, context: 'form' },
  { id: 'form.change', keys: ['space', 'left', 'right'], description: 'Change the agent, or toggle Worktree and Skip permissions (in text fields, Space types a space)', hint: 'change', context: 'form' },
  { id: 'form.submit', keys: ['enter'], description: 'Spawn the worker, from any field', hint: 'spawn', context: 'form' },
  { id: 'form.cancel', keys: ['escape'], description: 'Close the form', hint: 'cancel', context: 'form' },
  { id: 'reply.send', keys: ['enter'], description: 'Send the reply: typed into the worker, then Enter', hint: 'send', context: 'reply' },
  { id: 'reply.newline', keys: ['ctrl+j', 'meta+enter'], description: 'A new line in the reply', hint: 'new line', context: 'reply' },
  { id: 'reply.cancel', keys: ['escape'], description: 'Close the box; the text is kept as a draft for next time', hint: 'cancel', context: 'reply' },
  { id: 'confirm.yes', keys: ['y', 'Y'], description: 'Yes, do it', hint: 'yes', context: 'confirm' },
  { id: 'confirm.no', keys: ['n', 'N', 'escape'], description: 'No (any other key says no too)', hint: 'no', context: 'confirm' },
  { id: 'confirm.merge-commit', keys: ['1'], description: 'In the merge preview: merge with a merge commit', hint: null, context: 'confirm' },
  { id: 'confirm.squash', keys: ['2'], description: 'In the merge preview: squash into one commit', hint: null, context: 'confirm' },
  { id: 'confirm.rebase', keys: ['3'], description: 'In the merge preview: rebase onto the base and fast-forward', hint: null, context: 'confirm' },
  { id: 'overlay.close', keys: ['escape', 'q'], description: 'Close the overlay (so does the key that opened it)', hint: 'close', context: 'overlay' },
  { id: 'overlay.down', keys: ['j', 'down'], description: 'Scroll down a line', hint: 'scroll', context: 'overlay' },
  { id: 'overlay.up', keys: ['k', 'up'], description: 'Scroll up a line', hint: null, context: 'overlay' },
  { id: 'overlay.page-down', keys: ['pagedown', 'space'], description: 'Scroll down a page', hint: null, context: 'overlay' },
  { id: 'overlay.page-up', keys: ['pageup', 'b'], description: 'Scroll up a page', hint: null, context: 'overlay' },
  { id: 'diff.next-file', keys: ['tab', 'n', 'right'], description: 'Next file', hint: 'next file', context: 'diff' },
  { id: 'diff.prev-file', keys: ['shift+tab', 'p', 'left'], description: 'Previous file', hint: 'prev file', context: 'diff' },
  { id: 'diff.down', keys: ['j', 'down'], description: 'Scroll the hunks down a line', hint: 'scroll', context: 'diff' },
  { id: 'diff.up', keys: ['k', 'up'], description: 'Scroll the hunks up a line', hint: null, context: 'diff' },
  { id: 'diff.page-down', keys: ['pagedown', 'space'], description: 'Scroll the hunks down a page', hint: 'page', context: 'diff' },
  { id: 'diff.page-up', keys: ['pageup', 'b'], description: 'Scroll the hunks up a page', hint: null, context: 'diff' },
  { id: 'diff.close', keys: ['escape', 'q'], description: 'Back to the worker list (so does d)', hint: 'back', context: 'diff' },
  { id: 'quit', keys: ['q', 'ctrl+c'], description: 'Quit the deck; workers keep running in the server (run workerdeck to come back)', hint: 'quit', context: 'list' },
  { id: 'kill-server', keys: ['Q'], description: 'Stop every worker and the server, then quit (asks first; worktrees are kept)', hint: null, context: 'list' },
];

export type CommandId = (typeof COMMANDS)[number]['id'];

/** A resolved keymap: key name → command id per layer, plus each command's effective keys. */
export interface Keymap {
  /** The worker list's keys (its own and the global ones). */
  byKey: Map<string, string>;
  /** Each layer's keys; `global` commands are in `list` and `global`. */
  byContext: Map<CommandContext, Map<string, string>>;
  keysOf: Map<string, string[]>;
}

/** The command a key runs in a layer (its own keys, then the global ones), or undefined. */
export function commandFor(keymap: Keymap, context: CommandContext, key: string): string | undefined {
  return keymap.byContext.get(context)?.get(key) ?? keymap.byContext.get('global')?.get(key);
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
  const keysOf = new Map<string, string[]>();
  const contextOf = new Map<string, CommandContext>();
  for (const command of COMMANDS) {
    const override = overrides[command.id];
    const keys = override === undefined ? command.keys : Array.isArray(override) ? override : [override];
    keysOf.set(command.id, [...keys]);
    contextOf.set(command.id, command.context);
  }
  const byContext = new Map<CommandContext, Map<string, string>>(CONTEXTS.map((c) => [c, new Map<string, string>()]));
  for (const [id, keys] of keysOf) {
    const context = contextOf.get(id) ?? 'list';
    // A global key must be free in the list; every other layer has keys of its own.
    const layers: CommandContext[] = context === 'global' ? ['global', 'list'] : [context];
    for (const layer of layers) {
      const map = byContext.get(layer)!;
      for (const key of keys) {
        const other = map.get(key);
        if (other !== undefined && other !== id) {
          // Name the command the user overrode, not the one whose default key it took.
          const [field, holder] = id in overrides || !(other in overrides) ? [id, other] : [other, id];
          throw new Error(`keys.${field}: key "${key}" is already bound to "${holder}".`);
        }
        map.set(key, id);
      }
    }
  }
  return { byKey: byContext.get('list')!, byContext, keysOf };
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

/** The permission prompt answers and their footer labels: shown in the footer and help only while they apply. */
export const PERMISSION_HINTS: Readonly<Record<string, string>> = { 'permission.allow': 'allow', 'permission.always': 'always', 'permission.deny': 'deny' };
export const PERMISSION_COMMANDS: readonly string[] = Object.keys(PERMISSION_HINTS);

/** Footer hints `[{key, label}]` of one layer in registry order, first key of each hinted command. */
export function footerHints(keymap: Keymap, context: CommandContext = 'list'): { key: string; label: string }[] {
  const hints: { key: string; label: string }[] = [];
  for (const command of COMMANDS) {
    const inLayer = command.context === context || (context === 'list' && command.context === 'global');
    if (!inLayer) continue;
    const key = keymap.keysOf.get(command.id)?.[0];
    if (command.hint && key) hints.push({ key: displayKey(key), label: command.hint });
  }
  return hints;
}
