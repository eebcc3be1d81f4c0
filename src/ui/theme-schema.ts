/**
 * The zod schema of a theme file, for the messages that name what is wrong
 * with a broken one; theme.ts checks good themes without zod (isWellFormedTheme).
 */
import { z } from 'zod';
import { COLOUR_PATTERN, THEME_TOKENS, type ThemeToken } from './theme.js';

const colour = z.string().regex(COLOUR_PATTERN, 'a colour is #rrggbb, #rgb or an ANSI colour name such as "cyan" or "redBright"');

/** zod schema of a theme file. */
export const themeSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  colors: z.strictObject(Object.fromEntries(THEME_TOKENS.map((t) => [t, colour])) as Record<ThemeToken, typeof colour>),
});

