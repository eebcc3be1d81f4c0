import { threadOf, type DeckState, type ThreadEntry } from '../core/deck-state.js';
import type { MailMessage } from '../core/mail.js';
import { formatAge } from '../core/worker.js';
import { fit, wrap } from './layout.js';
import type { ThemeToken } from './theme.js';

/** One line of the mail panel: plain text, at most the panel's width, and its colour token. */
export interface Line {
  text: string;
  token: ThemeToken;
  bold?: boolean;
}

function entryLines(entry: ThreadEntry, width: number, now: number): Line[] {
  const lines: Line[] = [];
  if (entry.from === 'worker') {
    const m = entry.message;
    const label = { question: 'asked', completion: 'completed', progress: 'progress', error: 'error', 'needs-input': 'needs input' }[m.type];
    const token: ThemeToken =
      m.type === 'question' ? 'status.asking' : m.type === 'completion' ? 'status.completed' : m.type === 'error' ? 'text.error' : 'text.muted';
    lines.push({ text: fit(`${label}`, width - 5) + fit(formatAge(now - m.timestamp), 5), token, bold: true });
    for (const l of wrap(m.content, width - 2)) lines.push({ text: `  ${l}`, token: 'mail.worker' });
  } else {
    const r = entry.reply;
    lines.push({ text: fit(`you ${r.kind === 'nudge' ? 'nudged' : 'replied'}${r.via === 'tool-result' ? ' (tool result)' : ''}`, width - 5) + fit(formatAge(now - r.timestamp), 5), token: 'mail.operator', bold: true });
    for (const l of wrap(r.content, width - 2)) lines.push({ text: `  ${l}`, token: 'mail.operator' });
  }
  return lines;
}

/**
 * At least the last `count` lines of a worker's thread (its `threadOf` entries), newest last. Only the
 * entries that show are wrapped, so a long thread costs no more to draw than
 * a short one.
 */
export function threadTail(entries: readonly ThreadEntry[], width: number, now: number, count: number): Line[] {
  const lines: Line[] = [];
  for (let i = entries.length - 1; i >= 0 && lines.length < count; i--) {
    lines.unshift(...entryLines(entries[i] as ThreadEntry, width, now));
  }
  return lines;
}

/** How many lines a worker's whole thread takes at `width` columns (bounds scrolling). */
export function threadLineCount(state: DeckState, workerId: string, width: number, older: readonly MailMessage[] = []): number {
  let count = 0;
  for (const entry of threadOf(state, workerId, older)) count += entryLines(entry, width, 0).length;
  return count;
}
