import { Box, Text } from 'ink';
import { countByStatus } from '../core/deck-state.js';
import { WORKER_STATUSES } from '../core/worker.js';
import { useApp, useDeckContext } from './context.js';
import { useShallow } from 'zustand/react/shallow';
import { statusToken } from './theme.js';

/** The top line: `workerdeck`, the repo, and worker counts by status. */
export function Header({ width, label }: { width: number; label: string }) {
  const { theme } = useDeckContext();
  const counts = useApp(useShallow((s) => countByStatus(s.deck)));
  const needs = useApp((s) => Object.values(s.deck.workers).filter((w) => w.needsInput !== null).length);
  const warnings = useApp((s) => s.deck.warnings.length);
  const parts = WORKER_STATUSES.filter((st) => (counts[st] ?? 0) > 0);
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text bold color={theme.c('header')}>
        workerdeck
      </Text>
      <Text color={theme.c('text.muted')}> {label} </Text>
      {parts.length === 0 ? <Text color={theme.c('text.muted')}> no workers yet — press n to spawn one</Text> : null}
      {parts.map((st) => (
        <Text key={st} color={theme.c(statusToken(st))}>
          {' '}
          {counts[st]} {st}
        </Text>
      ))}
      {needs > 0 ? <Text color={theme.c('status.needsInput')}> {needs} need input</Text> : null}
      {warnings > 0 ? <Text color={theme.c('text.warning')}>  ⚠ {warnings} (w)</Text> : null}
    </Box>
  );
}
