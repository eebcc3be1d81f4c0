import { Box, Text } from 'ink';
import { slugify } from '../core/worker.js';
import { withCursor } from './text-edit.js';
import { SPAWN_FIELDS, type SpawnField } from '../store.js';
import { useApp, useDeckContext } from './context.js';
import { fit } from './layout.js';
import { Pane } from './Pane.js';

const LABELS: Record<SpawnField, string> = {
  task: 'Task',
  name: 'Name',
  agent: 'Agent',
  worktree: 'Worktree',
  base: 'Base branch',
  skipPermissions: 'Skip permissions',
};

/** The spawn form (n): Task, Name, Agent, Worktree, Base branch and Skip permissions. */
export function SpawnForm({ width, height }: { width: number; height: number }) {
  const { theme, client, presetProblems } = useDeckContext();
  const form = useApp((s) => s.ui.spawn);
  if (!form) return null;
  const inner = width - 4;
  const labelWidth = 20;
  const valueWidth = Math.max(8, inner - labelWidth);
  const preset = client.presets.find((p) => p.name === form.agent);
  const problem = presetProblems.get(form.agent) ?? null;
  const value = (field: SpawnField): string => {
    switch (field) {
      case 'task':
        return form.task;
      case 'name':
        return form.nameTouched ? form.name : form.name || slugify(form.task || form.agent);
      case 'agent':
        return `◀ ${form.agent} ▶  ${problem ? `not installed: ${problem}` : (preset?.description ?? '')}`;
      case 'worktree':
        return form.worktree ? '[x] yes, a new worktree and branch' : '[ ] no, run in the current directory';
      case 'base':
        return form.worktree ? form.base : '(no worktree)';
      case 'skipPermissions':
        return preset?.supportsSkipPermissions
          ? form.skipPermissions
            ? '[x] yes: the agent runs tools without asking'
            : '[ ] no: the agent asks before risky tools'
          : '(not used by this preset)';
    }
  };
  const hint: Record<SpawnField, string> = {
    task: 'What the worker should do. Enter spawns.',
    name: 'Defaults to a slug of the task.',
    agent: '←/→ picks the agent preset.',
    worktree: 'Space toggles.',
    base: 'The branch the worktree starts from.',
    skipPermissions: 'Space toggles.',
  };
  return (
    <Pane width={width} height={height} title="Spawn a worker" colour={theme.c('border.focus')} titleColour={theme.c('text.accent')} paddingX={1}>
      <Text> </Text>
      {SPAWN_FIELDS.map((field) => {
        const focused = form.field === field;
        const raw = value(field);
        const editable = field === 'task' || field === 'name' || field === 'base';
        // The untouched name shows its default with the cursor after it.
        const cursor = field === 'name' && !form.nameTouched ? undefined : form.cursor;
        const shown = focused && editable ? withCursor(raw, cursor) : raw;
        // Long text scrolls so that the cursor stays in view.
        const chars = [...shown];
        const mark = focused && editable ? chars.indexOf('▏') : chars.length - 1;
        const start = editable && chars.length > valueWidth ? Math.max(0, Math.min(chars.length - valueWidth, mark - valueWidth + 2)) : 0;
        const window = chars.slice(start, start + valueWidth);
        if (start > 0) window[0] = '…';
        if (start + valueWidth < chars.length) window[window.length - 1] = '…';
        const visible = editable ? window.join('') : shown;
        return (
          <Box key={field} height={1}>
            <Text color={theme.c(focused ? 'text.accent' : 'text.muted')} bold={focused}>
              {fit(`${focused ? '›' : ' '} ${LABELS[field]}`, labelWidth)}
            </Text>
            <Text
              color={theme.c(field === 'agent' && problem ? 'text.warning' : 'text.normal')}
              inverse={focused && !theme.colour}
            >
              {fit(visible, valueWidth)}
            </Text>
          </Box>
        );
      })}
      <Text> </Text>
      <Text color={theme.c('text.muted')}>{fit(hint[form.field], inner)}</Text>
      <Text color={theme.c('text.muted')}>
        {fit(form.busy ? 'Spawning…' : 'Tab/S-Tab move · Enter spawns · Esc cancels', inner)}
      </Text>
    </Pane>
  );
}
