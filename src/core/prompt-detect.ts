/**
 * The screen fallback: recognise a waiting prompt on a worker's screen, for
 * agents or moments that hooks and mail do not cover. Pure: no I/O.
 */

export interface ScreenRule {
  /** Tested against the bottom of the screen as plain text, rows joined with `\n`. */
  pattern: RegExp;
  /** What the worker's row shows, e.g. `permission prompt`. */
  reason: string;
}

/** Rules that hold for most agent TUIs and CLIs. Presets add their own before these. */
export const COMMON_PROMPT_RULES: ScreenRule[] = [
  { pattern: /Do you want to (proceed|make this edit|create|run|allow)[^\n]*\?/i, reason: 'permission prompt' },
  { pattern: /(Allow|Approve)[^\n]{0,80}\?\s*(\n[^\n]*){0,8}\n\s*[›>❯]?\s*1[.)]\s*(Yes|Allow|Approve)/i, reason: 'permission prompt' },
  { pattern: /^\s*[›>❯]\s*1[.)]\s+\S.*\n\s*2[.)]\s+\S/m, reason: 'numbered choice' },
  { pattern: /\((y\/n|Y\/n|y\/N|yes\/no)\)\s*[:?]?\s*$/m, reason: 'y/n prompt' },
  { pattern: /\[(y\/n|Y\/n|y\/N)\]\s*[:?]?\s*$/m, reason: 'y/n prompt' },
  { pattern: /Trust this (folder|directory)\?|Do you trust the files in this folder\?/i, reason: 'trust prompt' },
];

/** How many rows from the bottom of the screen the rules look at. */
const TAIL_ROWS = 16;

/**
 * The reason of the first rule that matches the bottom of the screen, or null.
 * @param rows plain-text screen rows, top first
 */
export function detectPrompt(rows: string[], rules: ScreenRule[]): string | null {
  let end = rows.length;
  while (end > 0 && (rows[end - 1] ?? '').trim() === '') end--;
  const text = rows.slice(Math.max(0, end - TAIL_ROWS), end).join('\n');
  if (text.trim() === '') return null;
  for (const rule of rules) if (rule.pattern.test(text)) return rule.reason;
  return null;
}
