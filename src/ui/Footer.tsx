import { Box, Text } from 'ink';
import { displayKey, footerHints, PERMISSION_COMMANDS, PERMISSION_HINTS } from '../core/commands.js';
import { disabledReason } from './bindings.js';
import { useApp, useDeckContext } from './context.js';
import { fit } from './layout.js';

/** Two lines: a status line (confirm prompts, messages, warnings) and key hints from the command registry. */
export function Footer({ width }: { width: number }) {
  const { theme, keymap } = useDeckContext();
  const confirm = useApp((s) => s.ui.confirm);
  const flash = useApp((s) => s.ui.flash);
  const mode = useApp((s) => s.ui.mode);
  let status: { text: string; token: 'text.warning' | 'text.error' | 'text.normal' | 'text.accent' } = { text: '', token: 'text.normal' };
  if (confirm && mode === 'confirm') status = { text: confirm.prompt, token: 'text.warning' };
  else if (flash) status = { text: flash.text, token: flash.level === 'error' ? 'text.error' : flash.level === 'warn' ? 'text.warning' : 'text.accent' };
  const layer = mode === 'spawn' ? 'form' : mode === 'reply' ? 'reply' : mode === 'confirm' ? 'confirm' : mode === 'list' ? 'list' : mode === 'diff' ? 'diff' : 'overlay';
  // The permission answers show only while they apply (a prompt waits on the selected worker).
  const permissionShown = useApp((s) => PERMISSION_COMMANDS.filter((id) => disabledReason(id, s) === null).join(' '));
  const permissionHints =
    layer === 'list' && permissionShown
      ? permissionShown.split(' ').flatMap((id) => {
          const key = keymap.keysOf.get(id)?.[0];
          return key ? [{ key: displayKey(key), label: PERMISSION_HINTS[id] ?? id }] : [];
        })
      : [];
  // The deny reason box (N) is one line: Enter denies, there is no new line.
  const denyBox = useApp((s) => s.ui.mode === 'reply' && s.ui.reply?.deny !== undefined);
  const layerHints = footerHints(keymap, layer).flatMap((h) => (!denyBox ? [h] : h.label === 'new line' ? [] : [{ ...h, label: h.label === 'send' ? 'deny' : h.label }]));
  const hints = [...permissionHints, ...layerHints];
  let hintText = '';
  for (const h of hints) {
    const piece = `${h.key} ${h.label}  `;
    if ([...hintText].length + piece.length > width) break;
    hintText += piece;
  }
  return (
    <Box width={width} height={2} flexDirection="column" overflow="hidden">
      <Text color={theme.c(status.token)} bold={mode === 'confirm'}>
        {fit(status.text.replace(/\s+/g, ' '), width)}
      </Text>
      <Text color={theme.c('text.muted')}>{fit(hintText.trimEnd(), width)}</Text>
    </Box>
  );
}
