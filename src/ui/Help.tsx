import { COMMANDS, displayKey } from '../core/commands.js';
import { formatAge } from '../core/worker.js';
import { useApp } from './context.js';
import { useDeckContext } from './context.js';
import { fit, wrap } from './layout.js';
import { Overlay } from './Pane.js';

/** The help overlay (?), generated from the command registry. */
export function Help({ width, height }: { width: number; height: number }) {
  const { theme, keymap, detachKeyName } = useDeckContext();
  const lines: string[] = [];
  for (const command of COMMANDS) {
    const keys = (keymap.keysOf.get(command.id) ?? []).map(displayKey).join(', ');
    lines.push(fit(keys, 14) + command.description);
  }
  lines.push('');
  lines.push(fit(displayKey(detachKeyName), 14) + 'Detach from a worker you are attached to');
  lines.push(fit('n form', 14) + 'Tab/S-Tab move, ←/→ agent, Space toggles, Enter spawns, Esc cancels');
  lines.push(fit('r box', 14) + 'Enter sends, Ctrl-J or Alt-Enter adds a line, Esc cancels (keeps the draft)');
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
