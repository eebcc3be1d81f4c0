import { Box, Text } from 'ink';
import { slugify } from '../core/worker.js';
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
        const shown = focused && (field === 'task' || field === 'name' || field === 'base') ? `${raw}▏` : raw;
        // Show the end of long text while typing.
        const chars = [...shown];
        const editable = field === 'task' || field === 'name' || field === 'base';
        const visible = editable && chars.length > valueWidth ? `…${chars.slice(chars.length - valueWidth + 1).join('')}` : shown;
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
