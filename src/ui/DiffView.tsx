import { Box, Text } from 'ink';
import type { FileChange } from '../core/review.js';
import { useApp, useDeckContext } from './context.js';
import { diffLayout } from './diff-layout.js';
import { fit } from './layout.js';
import { Pane } from './Pane.js';

const STATUS_LETTER: Record<FileChange['status'], string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', 'type-changed': 'T' };

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** A patch line as it may be drawn: tabs as spaces, control characters (a file's own escapes) as `?`. */
function printable(line: string): string {
  return line.replace(/\t/g, '    ').replace(CONTROL_RE, '?');
}

/**
 * The diff view (d): the selected worker's files with status and +/- counts
 * on the left, the coloured hunks of the file in focus on the right. Only
 * the rows that show are drawn, so a diff of many thousand lines costs what
 * one screen costs.
 */
export function DiffView() {
  const { theme } = useDeckContext();
  const view = useApp((s) => s.ui.diff);
  const cols = useApp((s) => s.ui.cols);
  const rows = useApp((s) => s.ui.rows);
  const name = useApp((s) => (s.ui.diff ? (s.deck.workers[s.ui.diff.workerId]?.name ?? s.ui.diff.workerId) : ''));
  const l = diffLayout(cols, rows);
  const border = theme.c('border.focus');
  const accent = theme.c('text.accent');
  const filesInner = l.filesWidth - 2;
  const hunksInner = l.hunksWidth - 2;
  const diff = view?.diff ?? null;
  if (!view || !diff) {
    const text = view?.error ? `Cannot show the diff: ${view.error}` : `Reading the changes of ${name}…`;
    return (
      <Pane width={l.width} height={l.height} title={`${name} — diff (Esc back)`} colour={border} titleColour={accent}>
        <Text color={theme.c(view?.error ? 'text.error' : 'text.muted')}>{fit(text, l.width - 2)}</Text>
      </Pane>
    );
  }
  const files = diff.files;
  const selected = files[view.file];
  // The file list scrolls to keep the selected file in sight.
  const first = Math.max(0, Math.min(view.file - Math.floor(l.bodyRows / 2), files.length - l.bodyRows));
  const shownFiles = files.slice(first, first + l.bodyRows);
  const lines = selected?.lines ?? [];
  const shown = lines.slice(view.scroll, view.scroll + l.bodyRows);
  const stat = `+${diff.stat.added} −${diff.stat.deleted}`;
  const title = selected
    ? `${selected.oldPath ? `${selected.oldPath} → ` : ''}${selected.path} · ${selected.status}${lines.length > l.bodyRows ? ` · ${view.scroll + 1}-${Math.min(lines.length, view.scroll + l.bodyRows)}/${lines.length}` : ''}`
    : 'No changes';
  const colourOf = (line: string) =>
    line.startsWith('@@') ? accent : line.startsWith('+') ? theme.c('status.running') : line.startsWith('-') ? theme.c('text.error') : theme.c('text.normal');
  let empty = '';
  if (!selected) empty = `${name} has no changes against ${diff.base}.`;
  else if (selected.binary) empty = 'Binary file: no hunks to show.';
  else if (lines.length === 0) empty = diff.truncated ? 'The diff is too long to show this file.' : 'Only the file mode or name changed.';
  return (
    <Box width={l.width} height={l.height} flexDirection="row">
      <Pane width={l.filesWidth} height={l.height} title={`${name} vs ${diff.base}: ${files.length} files ${stat}`} colour={border} titleColour={accent}>
        {shownFiles.map((f, i) => {
          const at = first + i === view.file;
          const counts = f.binary ? 'bin' : `+${f.added} −${f.deleted}`;
          return (
            <Text key={f.path} color={at ? theme.c('text.selected') : theme.c('text.normal')} backgroundColor={at ? theme.c('bg.selected') : undefined} inverse={at && !theme.colour}>
              {fit(`${STATUS_LETTER[f.status]} ${counts} ${f.path}`, filesInner)}
            </Text>
          );
        })}
      </Pane>
      <Pane width={l.hunksWidth} height={l.height} title={title} colour={theme.c('border.normal')} titleColour={accent}>
        {empty ? <Text color={theme.c('text.muted')}>{fit(empty, hunksInner)}</Text> : null}
        {shown.map((line, i) => (
          <Text key={view.scroll + i} color={colourOf(line)}>
            {fit(printable(line), hunksInner)}
          </Text>
        ))}
      </Pane>
    </Box>
  );
}
