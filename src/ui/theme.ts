import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../paths.js';

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

async function parseTheme(file: string, json: unknown): Promise<{ name: string; colors: Partial<Record<ThemeToken, string>> }> {
  const { themeSchema } = await import('./theme-schema.js');
  const parsed = themeSchema.safeParse(json);
  if (!parsed.success) {
    const { describeIssue } = await import('../core/validate.js');
    throw new Error(`${file}: ${describeIssue(parsed.error)}`);
  }
  return parsed.data;
}

/** The colours a theme may give: #rrggbb, #rgb or an ANSI colour name (theme-schema.ts says the same to zod). */
export const COLOUR_PATTERN =
  /^(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}|black|red|green|yellow|blue|magenta|cyan|white|gray|grey|(black|red|green|yellow|blue|magenta|cyan|white)Bright)$/;

/**
 * Whether `json` is a well-formed theme: exactly what theme-schema.ts accepts
 * (test/unit/theme.test.ts holds the two side by side). A theme that passes
 * needs no zod, which the deck's first frame would otherwise wait on.
 */
export function isWellFormedTheme(json: unknown): json is { name: string; description?: string; colors: Record<ThemeToken, string> } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const theme = json as Record<string, unknown>;
  if (Object.keys(theme).some((k) => k !== 'name' && k !== 'description' && k !== 'colors')) return false;
  if (typeof theme.name !== 'string' || theme.name.length === 0) return false;
  if ('description' in theme && theme.description !== undefined && typeof theme.description !== 'string') return false;
  const colors = theme.colors;
  if (typeof colors !== 'object' || colors === null || Array.isArray(colors)) return false;
  const keys = Object.keys(colors);
  if (keys.length !== THEME_TOKENS.length || !THEME_TOKENS.every((t) => Object.hasOwn(colors, t))) return false;
  return keys.every((k) => {
    const c = (colors as Record<string, unknown>)[k];
    return typeof c === 'string' && COLOUR_PATTERN.test(c);
  });
}

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
 * validated (by zod, in theme-schema.ts, when the quick check finds it broken).
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
  // zod, which names the field that is wrong, only for a theme the quick check refuses.
  const theme = isWellFormedTheme(json) ? json : await parseTheme(file, json);
  const colors = theme.colors as Record<ThemeToken, string>;
  return { name: theme.name, colour: true, c: (token) => colors[token] };
}
