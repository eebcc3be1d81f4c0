import { Box, Text } from 'ink';
import { memo } from 'react';
import { unreadCount } from '../core/deck-state.js';
import { limitNote } from '../core/limit-detect.js';
import { withQueuePosition } from '../core/queue.js';
import { describeConflicts, formatDiffStat } from '../core/review.js';
import { formatAge, isLive, STATUS_SYMBOL, statusLabel, type WorkerRecord } from '../core/worker.js';
import { useApp, useDeckContext } from './context.js';
import { fit, textWidth } from './layout.js';
import { Pane } from './Pane.js';
import { useAgeNow } from './useNow.js';
import { statusToken } from './theme.js';

interface Columns {
  name: number;
  agent: number;
  status: number;
  branch: number;
  age: number;
  unread: number;
  note: number;
}

/** True when the worker's row leads its note with tags (conflicts, a validate verdict, a diffstat). */
function hasTags(worker: WorkerRecord | undefined): boolean {
  return (worker?.conflicts?.length ?? 0) > 0 || worker?.validation !== undefined || (worker?.diffstat?.files ?? 0) > 0;
}

/** The validate verdict as a list tag. */
const VERDICT: Record<NonNullable<WorkerRecord['validation']>['status'] | 'none', { text: string; token: 'text.muted' | 'status.running' | 'text.error' }> = {
  none: { text: '', token: 'text.muted' },
  running: { text: 'validating…', token: 'text.muted' },
  passed: { text: 'validate passed', token: 'status.running' },
  failed: { text: 'validate failed', token: 'text.error' },
  'timed-out': { text: 'validate timed out', token: 'text.error' },
};

function columnsFor(width: number): Columns {
  const name = width >= 70 ? 14 : 12;
  const agent = 8;
  const status = 11;
  const age = 4;
  const unread = 3;
  const fixed = 2 + name + agent + status + age + unread + 5;
  const rest = Math.max(0, width - fixed);
  const branch = width >= 70 ? Math.min(28, Math.max(0, rest - 8)) : 0;
  return { name, agent, status, branch, age, unread, note: Math.max(0, rest - branch - (branch ? 1 : 0)) };
}


const Row = memo(function Row({
  worker,
  selected,
  unread,
  label,
  now,
  cols,
  width,
}: {
  worker: WorkerRecord;
  selected: boolean;
  unread: number;
  /** The status word (`queued #2` for a queued worker). */
  label: string;
  now: number;
  cols: Columns;
  width: number;
}) {
  const { theme } = useDeckContext();
  const needs = worker.needsInput !== null && isLive(worker.status);
  const limited = !needs && Boolean(worker.limit) && isLive(worker.status);
  const statusColour = theme.c(needs || limited ? 'status.needsInput' : statusToken(worker.status));
  const note = needs
    ? worker.needsInput?.reason ?? ''
    : limited && worker.limit
      ? limitNote(worker.limit, now)
      : worker.note ?? worker.reason ?? worker.task;
  const fg = selected ? theme.c('text.selected') : undefined;
  const bg = selected ? theme.c('bg.selected') : undefined;
  const inverse = selected && !theme.colour;
  const symbol = needs ? '!' : limited ? '~' : STATUS_SYMBOL[worker.status];
  // The note is led by, in order: the workers (or base) it conflicts with and the files (⚡ in place of
  // the status symbol), the validate verdict, and the diffstat (`+120 −8 3f`).
  const clash = describeConflicts(worker.conflicts);
  const verdict = VERDICT[worker.validation?.status ?? 'none'];
  const tags = [
    { text: clash, token: 'text.error' as const },
    { text: verdict.text, token: verdict.token },
    { text: formatDiffStat(worker.diffstat), token: 'text.accent' as const },
  ].filter((t) => t.text !== '');
  // They may take columns from the branch (down to 8) so that they show whole; the last give way first.
  const need = tags.reduce((n, t) => n + textWidth(t.text) + 1, 0);
  const steal = need > 0 ? Math.max(0, Math.min(cols.branch - 8, need - Math.max(0, cols.note - 8))) : 0;
  const branchWidth = cols.branch - steal;
  const noteWidth = cols.note + steal;
  let room = noteWidth + 1;
  const shown = tags.flatMap((t) => {
    const w = textWidth(t.text) + 1;
    if (w > room && t !== tags[0]) return [];
    const width = Math.min(room, w);
    room -= width;
    return [{ ...t, width }];
  });
  return (
    <Box width={width} height={1} overflow="hidden">
      {clash ? (
        <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.error')}>
          {'⚡'}
        </Text>
      ) : (
        <Text backgroundColor={bg} inverse={inverse} color={fg ?? statusColour}>
          {symbol}{' '}
        </Text>
      )}
      <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.normal')} bold>
        {fit(worker.name, cols.name)}{' '}
      </Text>
      {cols.agent > 0 ? (
        <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.muted')}>
          {fit(worker.agent, cols.agent)}{' '}
        </Text>
      ) : null}
      <Text backgroundColor={bg} inverse={inverse} color={fg ?? statusColour}>
        {fit(label, cols.status)}{' '}
      </Text>
      {cols.branch > 0 ? (
        <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.muted')}>
          {fit(worker.branch ?? '(no worktree)', branchWidth)}{' '}
        </Text>
      ) : null}
      <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.muted')}>
        {fit(formatAge(now - worker.createdAt), cols.age)}{' '}
      </Text>
      <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.accent')} bold>
        {fit(unread > 0 ? `✉${unread > 9 ? '+' : unread}` : '', cols.unread)}
      </Text>
      {shown.map((t) => (
        <Text key={t.token + t.text} backgroundColor={bg} inverse={inverse} color={fg ?? theme.c(t.token)} bold={t.token === 'text.error'}>
          {fit(' ' + t.text, t.width)}
        </Text>
      ))}
      <Text backgroundColor={bg} inverse={inverse} color={fg ?? theme.c('text.normal')}>
        {fit(' ' + note.replace(/\s+/g, ' '), room)}
      </Text>
    </Box>
  );
});

/** The worker list: one row per worker, scrolled to keep the selection visible. */
export function WorkerList({ width, height, rows }: { width: number; height: number; rows: number }) {
  const { theme } = useDeckContext();
  const order = useApp((s) => s.deck.order);
  const workers = useApp((s) => s.deck.workers);
  const deckState = useApp((s) => s.deck);
  const selectedId = useApp((s) => s.ui.selectedId);
  const focused = useApp((s) => s.ui.mode === 'list');
  const inner = width - 2;
  const wide = columnsFor(inner);
  const selectedIndex = Math.max(0, order.indexOf(selectedId ?? ''));
  const first = Math.max(0, Math.min(selectedIndex - rows + 1, order.length - rows));
  const visible = order.slice(first, first + rows);
  // Too narrow for a branch column: when a visible worker has a diffstat, conflicts or a verdict, the agent column makes room for them.
  const tagged = visible.some((id) => hasTags(workers[id]));
  const cols = tagged && wide.branch === 0 ? { ...wide, agent: 0, note: wide.note + wide.agent + 1 } : wide;
  // Only the ages of the rows on screen wake the list.
  const now = useAgeNow(visible.flatMap((id) => (workers[id] ? [workers[id].createdAt] : [])));
  const header =
    '  ' +
    fit('NAME', cols.name + 1) +
    (cols.agent > 0 ? fit('AGENT', cols.agent + 1) : '') +
    fit('STATUS', cols.status + 1) +
    (cols.branch > 0 ? fit('BRANCH', cols.branch + 1) : '') +
    fit('AGE', cols.age + 1) +
    fit('', cols.unread) +
    ' NOTE';
  return (
    <Pane
      width={width}
      height={height}
      title={`Workers${order.length > rows ? ` ${order.indexOf(selectedId ?? '') + 1}/${order.length}` : ''}`}
      colour={theme.c(focused ? 'border.focus' : 'border.normal')}
      titleColour={theme.c('text.accent')}
    >
      <Text color={theme.c('text.muted')}>{fit(header, inner)}</Text>
      {order.length === 0 ? (
        <Text color={theme.c('text.muted')}>{fit('  No workers. Press n to spawn one.', inner)}</Text>
      ) : null}
      {visible.map((id) => {
        const worker = workers[id];
        if (!worker) return null;
        return (
          <Row
            key={id}
            worker={worker}
            selected={id === selectedId}
            unread={unreadCount(deckState, id)}
            label={withQueuePosition(deckState, worker, statusLabel(worker))}
            now={now}
            cols={cols}
            width={inner}
          />
        );
      })}
    </Pane>
  );
}
