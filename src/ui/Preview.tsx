import { Box, Text } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import { useApp, useDeckContext } from './context.js';
import { fit, wrap } from './layout.js';
import { Overlay, Pane } from './Pane.js';
import { SpawnForm } from './SpawnForm.js';
import { Details } from './Details.js';

// eslint-disable-next-line no-control-regex
const SGR_RE = /\u001b\[[0-9;]*m/g;

/**
 * The rows of a worker's screen, as the server pushes them for the one
 * watched worker (at most every SCREEN_PUSH_MS). PTY bytes never pass through
 * React state: only the finished rows of the one visible worker do.
 */
function useScreenRows(id: string | null, scroll: number, colour: boolean): string[] {
  const { client } = useDeckContext();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    client.watch(id, scroll);
    if (!id) return;
    return client.onScreen((snapshot) => {
      if (snapshot.id === id && snapshot.scroll === scroll) setVersion((v) => v + 1);
    });
  }, [client, id, scroll]);
  // The rows last received: a remount (detach) shows them on its first frame.
  return useMemo(() => {
    if (!id) return [];
    const styled = client.lastScreen(id, scroll)?.rows ?? [];
    return colour ? styled : styled.map((r) => r.replace(SGR_RE, ''));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, id, scroll, colour, version]);
}

/** The preview pane: the selected worker's live screen, or the spawn form or details in its place. */
export function Preview({ width, height }: { width: number; height: number }) {
  const { theme } = useDeckContext();
  const mode = useApp((s) => s.ui.mode);
  const selectedId = useApp((s) => s.ui.selectedId);
  const worker = useApp((s) => (s.ui.selectedId ? s.deck.workers[s.ui.selectedId] : undefined));
  const scroll = useApp((s) => s.ui.previewScroll);
  const panel = useApp((s) => s.ui.confirm?.panel);
  const rows = useScreenRows(mode === 'spawn' || mode === 'details' ? null : selectedId, scroll, theme.colour);
  const inner = width - 2;
  const innerRows = height - 2;
  if (mode === 'spawn') return <SpawnForm width={width} height={height} />;
  if (mode === 'details' && worker) return <Details width={width} height={height} worker={worker} />;
  if (mode === 'confirm' && panel) {
    return (
      <Overlay
        width={width}
        height={height}
        title={panel.title}
        colour={theme.c('border.focus')}
        titleColour={theme.c('text.accent')}
        lines={panel.lines.flatMap((l) =>
          wrap(l.text, width - 4).map((text) => ({ text, colour: theme.c(l.tone === 'normal' ? 'text.normal' : `text.${l.tone}`) })),
        )}
      />
    );
  }
  const title = worker ? `${worker.name} · ${worker.agent}${scroll > 0 ? ` · scrolled back ${scroll} lines (PgDn)` : ''}` : 'Preview';
  return (
    <Pane width={width} height={height} title={title} colour={theme.c('border.normal')} titleColour={theme.c('text.accent')}>
      {worker ? (
        rows.slice(0, innerRows).map((row, i) => (
          <Text key={i} wrap="truncate">
            {row}
          </Text>
        ))
      ) : (
        <Text color={theme.c('text.muted')}>{fit('Select a worker to see its screen here.', inner)}</Text>
      )}
    </Pane>
  );
}
