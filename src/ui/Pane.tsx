import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { useApp, useDeckContext } from './context.js';
import { setUi } from '../store.js';
import { fit } from './layout.js';

/**
 * A rounded box with a title in its top border: `╭─ title ───╮`. Ink's
 * borders take no title, so the top edge is drawn here as text.
 */
export function Pane({
  width,
  height,
  title,
  colour,
  titleColour,
  paddingX = 0,
  children,
}: {
  width: number;
  height: number;
  title: string;
  colour: string | undefined;
  titleColour: string | undefined;
  paddingX?: number;
  children: ReactNode;
}) {
  const label = title ? ` ${fit(title, Math.max(0, width - 6)).trimEnd()} ` : '';
  const rest = Math.max(0, width - 3 - [...label].length);
  return (
    <Box width={width} height={height} flexDirection="column" overflow="hidden">
      <Text>
        <Text color={colour}>╭─</Text>
        <Text color={titleColour} bold>
          {label}
        </Text>
        <Text color={colour}>{'─'.repeat(rest)}╮</Text>
      </Text>
      <Box
        width={width}
        height={height - 1}
        flexDirection="column"
        borderStyle="round"
        borderTop={false}
        borderColor={colour}
        paddingX={paddingX}
        overflow="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}

export interface OverlayLine {
  text: string;
  colour?: string | undefined;
  bold?: boolean;
}

/** A focused pane of plain lines, cut to fit: help, warnings, details. */
export function Overlay({
  width,
  height,
  title,
  colour,
  titleColour,
  lines,
}: {
  width: number;
  height: number;
  title: string;
  colour: string | undefined;
  titleColour: string | undefined;
  lines: OverlayLine[];
}) {
  const inner = width - 4;
  const { store } = useDeckContext();
  const wanted = useApp((s) => s.ui.overlayScroll ?? 0);
  const rows = Math.max(1, height - 2);
  const max = Math.max(0, lines.length - rows);
  const scroll = Math.min(wanted, max);
  // Scrolled past the end (a page down on the last page): the store follows what is shown.
  useEffect(() => {
    if (wanted > max) setUi(store, { overlayScroll: max });
  }, [wanted, max, store]);
  const where = lines.length > rows ? ` — ${scroll + 1}–${Math.min(lines.length, scroll + rows)} of ${lines.length}, j/k scroll` : '';
  return (
    <Pane width={width} height={height} title={`${title}${where}`} colour={colour} titleColour={titleColour} paddingX={1}>
      {lines.slice(scroll, scroll + rows).map((line, i) => (
        <Text key={i} color={line.colour} bold={line.bold}>
          {fit(line.text, inner)}
        </Text>
      ))}
    </Pane>
  );
}
