/**
 * The screen fallback: recognise a waiting prompt on a worker's screen, for
 * agents or moments that hooks and mail do not cover. Pure: no I/O.
 */

export interface ScreenRule {
  /** Tested against the bottom of the screen as plain text, rows joined with `\n`. */
  pattern: RegExp;
  /** What the worker's row shows, e.g. `permission prompt`. */
  reason: string;
  /**
   * For a permission dialog the deck can answer without an attach: the bytes
   * written to the worker's PTY for each answer, exactly as the agent's dialog
   * takes them (e.g. Codex `y` / `p` / `\x1b`). Absent: the deck only shows
   * `needs input` and the operator attaches.
   */
  answers?: PermissionKeys;
  /**
   * What the dialog asks, read off the same screen text the pattern matched:
   * the tool (e.g. `Bash`, `command`, `edit`) and its command or file. Absent
   * or null: the panel shows the reason only.
   */
  describe?: (text: string) => PermissionAsk | null;
}

/** The keys that answer one agent's permission dialog (bytes for its PTY). */
export interface PermissionKeys {
  /** allow this once */
  allowOnce: string;
  /** allow this and the like for the rest of the session, where the agent has it */
  allowAlways?: string;
  /** deny; the agent's dialog takes no reason, so a reason is typed as the next prompt */
  deny: string;
}

/** What a permission prompt asks: the tool and its command, file or other subject. */
export interface PermissionAsk {
  tool: string;
  detail: string;
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

/** The first rule that matches the bottom of a screen, and the text it was tested on. */
export interface PromptMatch {
  rule: ScreenRule;
  /** The bottom of the screen, rows joined with `\n` (what `describe` reads). */
  text: string;
}

/**
 * The first rule that matches the bottom of the screen (its last TAIL_ROWS
 * non-blank rows), or null.
 * @param rows plain-text screen rows, top first
 */
export function matchPromptRule(rows: string[], rules: ScreenRule[]): PromptMatch | null {
  let end = rows.length;
  while (end > 0 && (rows[end - 1] ?? '').trim() === '') end--;
  const text = rows.slice(Math.max(0, end - TAIL_ROWS), end).join('\n');
  if (text.trim() === '') return null;
  const rule = rules.find((r) => r.pattern.test(text));
  return rule ? { rule, text } : null;
}

/**
 * The reason of the first rule that matches the bottom of the screen, or null.
 * @param rows plain-text screen rows, top first
 */
export function detectPrompt(rows: string[], rules: ScreenRule[]): string | null {
  return matchPromptRule(rows, rules)?.rule.reason ?? null;
}
