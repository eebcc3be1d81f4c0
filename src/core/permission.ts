/**
 * Permission prompts the operator answers from the deck, without an attach
 * (y allow once, A allow always, N deny). Pure: no I/O.
 *
 * Two paths lead here: an agent's permission hook asks the server and waits
 * (Claude Code's PermissionRequest; source `hook`), or a preset's screen rule
 * that names the dialog's answer keys matches the worker's screen (source
 * `screen`). Either way the ask rides on the worker's `needsInput`.
 */
import { sanitize } from './sanitize.js';
import { matchPromptRule, type PermissionAsk, type PermissionKeys, type ScreenRule } from './prompt-detect.js';
import type { NeedsInput, PendingPermission } from './worker.js';

export const PERMISSION_ANSWERS = ['allow-once', 'allow-always', 'deny'] as const;

/** The operator's answer to a permission prompt. */
export type PermissionAnswer = (typeof PERMISSION_ANSWERS)[number];

/** What the operator decided, as the hook path carries it back to the agent. */
export interface PermissionDecision {
  answer: PermissionAnswer;
  /** The deny reason the operator typed, or null (none, or not a deny). */
  reason: string | null;
}

/** Longest tool name and detail kept, in UTF-16 code units. */
export const MAX_TOOL = 100;
export const MAX_DETAIL = 2000;

/** An ask made safe to show: no escapes or control characters, whitespace runs as one space, bounded. */
export function cleanAsk(ask: PermissionAsk): PermissionAsk {
  const one = (text: string, max: number) => sanitize(text).replace(/\s+/g, ' ').trim().slice(0, max);
  return { tool: one(ask.tool, MAX_TOOL), detail: one(ask.detail, MAX_DETAIL) };
}

/** An ask in words, e.g. `Bash touch a.txt`; empty when the dialog says neither. */
export function describeAsk(ask: PermissionAsk): string {
  return [ask.tool, ask.detail].filter(Boolean).join(' ');
}

/** What a worker's row says while the ask waits, e.g. `permission: Bash touch a.txt`. */
export function permissionReason(ask: PermissionAsk, fallback = 'permission prompt'): string {
  const said = describeAsk(ask);
  return said ? `permission: ${said}` : fallback;
}

/** The same tool and detail (both absent counts as the same). */
export function sameAsk(a: PermissionAsk | undefined, b: PermissionAsk | undefined): boolean {
  if (!a || !b) return a === b;
  return a.tool === b.tool && a.detail === b.detail;
}

/** The answer's label in messages, e.g. `allowed once`. */
export function answerLabel(answer: PermissionAnswer): string {
  return answer === 'allow-once' ? 'allowed once' : answer === 'allow-always' ? 'allowed always' : 'denied';
}

/** What the screen shows: the prompt's reason and, for a dialog with answer keys, its ask. */
export interface ScreenPrompt {
  reason: string;
  permission: { ask: PermissionAsk; keys: PermissionKeys } | null;
}

/**
 * The prompt at the bottom of a screen (the first rule that matches), with
 * the ask of a dialog whose rule has answer keys, or null.
 * @param rows plain-text screen rows, top first
 */
export function screenPrompt(rows: string[], rules: ScreenRule[]): ScreenPrompt | null {
  const match = matchPromptRule(rows, rules);
  if (!match) return null;
  const { rule, text } = match;
  if (!rule.answers) return { reason: rule.reason, permission: null };
  let described: PermissionAsk | null = null;
  try {
    described = rule.describe?.(text) ?? null;
  } catch {
    // A rule's reader must not break the screen check; the dialog is still answerable.
    described = null;
  }
  const ask = cleanAsk(described ?? { tool: '', detail: '' });
  return { reason: permissionReason(ask, rule.reason), permission: { ask, keys: rule.answers } };
}

/**
 * The `needsInput` a worker's screen calls for, against the one it has.
 * @param rows plain-text screen rows, top first
 * @param makeId a new ask id, called only when a new permission ask is shown
 * @returns the new signal (source `screen`), null to clear a screen signal
 *   that is no longer on screen, or undefined when nothing changes
 */
export function screenNeedsInput(
  rows: string[],
  rules: ScreenRule[],
  current: NeedsInput | null,
  now: number,
  makeId: () => string,
): NeedsInput | null | undefined {
  const found = screenPrompt(rows, rules);
  if (!found) return current?.source === 'screen' ? null : undefined;
  if (current && current.reason === found.reason && sameAsk(current.permission, found.permission?.ask)) return undefined;
  const signal: NeedsInput = { reason: found.reason, source: 'screen', since: now };
  if (found.permission) {
    const { ask, keys } = found.permission;
    signal.permission = { id: makeId(), ...ask, allowAlways: keys.allowAlways !== undefined };
  }
  return signal;
}

/**
 * The bytes that answer a screen permission dialog, checked against the
 * screen as it is now: only when the same dialog (same reason, same ask, a
 * rule with answer keys) is still at the bottom of the screen.
 * @param rows plain-text screen rows read just before typing, top first
 * @param waiting the worker's `needsInput` whose ask the operator answered
 * @returns `{ keys }` to write to the PTY, or `{ refused }`: a sentence for the operator
 */
export function screenAnswerKeys(
  rows: string[],
  rules: ScreenRule[],
  waiting: NeedsInput,
  answer: PermissionAnswer,
): { keys: string } | { refused: string } {
  const found = screenPrompt(rows, rules);
  const pending = waiting.permission;
  if (!found?.permission || !pending) return { refused: 'its permission dialog is no longer on its screen; nothing was typed' };
  if (found.reason !== waiting.reason || !sameAsk(found.permission.ask, pending)) {
    return { refused: `its screen now asks something else (${found.reason}); nothing was typed. Look at it again` };
  }
  const { keys } = found.permission;
  if (answer === 'allow-once') return { keys: keys.allowOnce };
  if (answer === 'deny') return { keys: keys.deny };
  return keys.allowAlways === undefined ? { refused: 'its agent offers no "allow always" for this dialog; nothing was typed' } : { keys: keys.allowAlways };
}

/** A permission ask's fields without its id, as an agent hook reports it. */
export type HookAsk = Omit<PendingPermission, 'id'>;
