import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { z } from 'zod';
import { describeIssue } from '../core/validate.js';

export const THEME_TOKENS = [
  'header',
  'text.normal',
  'text.muted',
  'text.accent',
  'text.warning',
  'text.error',
  'text.selected',
  'bg.selected',
  'border.normal',
  'border.focus',
  'status.starting',
  'status.running',
  'status.asking',
  'status.completed',
  'status.exited',
  'status.failed',
  'status.stopped',
  'status.needsInput',
  'mail.worker',
  'mail.operator',
] as const;

export type ThemeToken = (typeof THEME_TOKENS)[number];

/** A status's colour token; `queued` shares `starting`'s, so theme files need no new token. */
export function statusToken(status: string): ThemeToken {
  const token = `status.${status === 'queued' ? 'starting' : status}`;
  return (THEME_TOKENS as readonly string[]).includes(token) ? (token as ThemeToken) : 'text.normal';
}

const colour = z
  .string()
  .regex(
    /^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|black|red|green|yellow|blue|magenta|cyan|white|gray|grey|(black|red|green|yellow|blue|magenta|cyan|white)Bright)$/,
    'a colour is #rrggbb, #rgb or an ANSI colour name such as "cyan" or "redBright"',
  );

const themeSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  colors: z.strictObject(Object.fromEntries(THEME_TOKENS.map((t) => [t, colour])) as Record<ThemeToken, typeof colour>),
});

/** Semantic colour tokens → Ink colours; `undefined` everywhere when colour is off (NO_COLOR). */
export interface Theme {
  name: string;
  colour: boolean;
  c(token: ThemeToken): string | undefined;
}

/** The directory of the bundled themes (`themes/` beside `dist/`). */
export function bundledThemesDir(): string {
  return path.join(packageRoot(), 'themes');
}

export const NO_COLOR_THEME: Theme = { name: 'no-color', colour: false, c: () => undefined };

/**
 * Load a theme by bundled name (`default`, `light`) or by path to a JSON file,
 * validated with zod.
 * @throws Error naming the file and the field when the theme is broken, or
 *   listing the bundled themes when the name is unknown.
 */
export async function loadTheme(nameOrPath: string, cwd: string): Promise<Theme> {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = isPath ? path.resolve(cwd, nameOrPath) : path.join(bundledThemesDir(), `${nameOrPath}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      isPath ? `Theme file ${file} cannot be read.` : `Unknown theme "${nameOrPath}". Bundled themes: default, light; or give a path to a .json file.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = themeSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${describeIssue(parsed.error)}`);
  const colors = parsed.data.colors as Record<ThemeToken, string>;
  return { name: parsed.data.name, colour: true, c: (token) => colors[token] };
}
