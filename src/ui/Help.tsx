import { COMMANDS, CONTEXT_TITLES, CONTEXTS, displayKey, PERMISSION_COMMANDS } from '../core/commands.js';
import { disabledReason } from './bindings.js';
import { formatAge } from '../core/worker.js';
import { useApp } from './context.js';
import { useDeckContext } from './context.js';
import { fit, wrap } from './layout.js';
import { Overlay } from './Pane.js';

/**
 * The help overlay (?), generated from the command registry: every layer's
 * keys (with the user's overrides), and why a list command is unavailable now.
 */
export function Help({ width, height }: { width: number; height: number }) {
  const { theme, keymap, detachKeyName, store } = useDeckContext();
  const state = store.getState();
  const inner = width - 4;
  const lines: string[] = [];
  const keysOf = (id: string) => (keymap.keysOf.get(id) ?? []).map(displayKey).join(', ');
  // The list and global keys one per line; the other layers one wrapped paragraph each, so it all fits at 80x24 and up.
  for (const command of COMMANDS.filter((c) => c.context === 'list' || c.context === 'global')) {
    const reason = command.context === 'list' ? disabledReason(command.id, state) : null;
    // The permission answers are listed only while a prompt waits on the selected worker.
    if (reason && PERMISSION_COMMANDS.includes(command.id)) continue;
    lines.push(...wrap(fit(keysOf(command.id), 14) + command.description + (reason ? ` (now: ${reason})` : ''), inner));
  }
  lines.push(fit(displayKey(detachKeyName), 14) + 'Detach from a worker you are attached to');
  for (const context of CONTEXTS.filter((c) => c !== 'list' && c !== 'global')) {
    const pieces = COMMANDS.filter((c) => c.context === context).map((c) => `${keysOf(c.id)} ${c.hint ?? c.description}`);
    lines.push(...wrap(`${CONTEXT_TITLES[context]}: ${pieces.join(' · ')}`, inner));
  }
  return (
    <Overlay
      width={width}
      height={height}
      title="Keys (? or Esc closes)"
      colour={theme.c('border.focus')}
      titleColour={theme.c('text.accent')}
      lines={lines.map((text) => ({ text, colour: theme.c('text.normal') }))}
    />
  );
}

/** The warnings overlay (w): every warning of this session, newest first. */
export function Warnings({ width, height }: { width: number; height: number }) {
  const { theme } = useDeckContext();
  const warnings = useApp((s) => s.deck.warnings);
  const inner = width - 4;
  const now = Date.now();
  const lines: string[] = [];
  for (const w of [...warnings].reverse()) {
    lines.push(...wrap(`${formatAge(now - w.at).padStart(4)}  ${w.text}`, inner));
  }
  if (lines.length === 0) lines.push('No warnings.');
  return (
    <Overlay
      width={width}
      height={height}
      title={`Warnings (${warnings.length}) — w or Esc closes`}
      colour={theme.c('border.focus')}
      titleColour={theme.c('text.warning')}
      lines={lines.map((text) => ({ text, colour: theme.c('text.normal') }))}
    />
  );
}
