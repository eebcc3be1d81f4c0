import { Box, Text } from 'ink';
import { useDeckContext } from './context.js';

/** The smallest terminal the deck lays out its columns in, in cells. */
export const MIN_COLS = 80;
export const MIN_ROWS = 24;

/** True when a cols×rows terminal is too small for the deck's columns. */
export function tooSmall(cols: number, rows: number): boolean {
  return cols < MIN_COLS || rows < MIN_ROWS;
}

/** Shown instead of the deck below MIN_COLS×MIN_ROWS: the columns would run together. Keys still work. */
export function TooSmall({ cols, rows }: { cols: number; rows: number }) {
  const { theme } = useDeckContext();
  const width = Math.max(1, cols);
  return (
    <Box width={width} height={Math.max(1, rows)} flexDirection="column" overflow="hidden">
      <Text color={theme.c('text.warning')} wrap="truncate-end">
        Terminal too small: {cols}x{rows}.
      </Text>
      <Text color={theme.c('text.muted')} wrap="truncate-end">
        workerdeck needs {MIN_COLS}x{MIN_ROWS}; enlarge the window. q quits.
      </Text>
    </Box>
  );
}
