import { Text } from 'ink';
import { attentionOrder, isLiveWorker, threadOf, olderMailCount, type AttentionItem, type DeckState, type ThreadEntry } from '../core/deck-state.js';
import { displayKey } from '../core/commands.js';
import { formatAge } from '../core/worker.js';
import type { ThemeToken } from './theme.js';
import { useApp, useDeckContext } from './context.js';
import { fit, plural, wrap } from './layout.js';
import { threadTail, type Line } from './thread.js';
import { Pane } from './Pane.js';
import { useAgeNow } from './useNow.js';
import { withCursor } from './text-edit.js';

const KIND_LABEL: Record<AttentionItem['kind'], string> = {
  question: '?',
  'needs-input': '!',
  completion: '✓',
  other: '·',
  unknown: '⚠',
};

/** The lines of one attention item: one line, or two for a worker this deck does not know. */
function itemLines(state: DeckState, item: AttentionItem, width: number, now: number, dismissKey: string): Line[] {
  const age = fit(formatAge(now - item.since), 4);
  if (item.kind === 'unknown') {
    const name = item.message?.workerName ? ` (${item.message.workerName})` : '';
    const count = plural(item.count, 'message');
    return [
      { text: fit(`⚠ unknown worker ${item.workerId}${name}`, width - 4) + age, token: 'text.warning' },
      { text: fit(`  press ${dismissKey} to dismiss ${count}`, width), token: 'text.muted' },
    ];
  }
  const name = state.workers[item.workerId]?.name ?? item.message?.workerName ?? item.workerId;
  const what = item.message?.content ?? state.workers[item.workerId]?.needsInput?.reason ?? '';
  const mark = item.live ? '' : '⚠';
  const token: ThemeToken =
    item.kind === 'question' ? 'status.asking' : item.kind === 'needs-input' ? 'status.needsInput' : item.kind === 'completion' ? 'status.completed' : 'text.normal';
  return [{ text: fit(`${KIND_LABEL[item.kind]}${mark} ${name}: ${what.replace(/\s+/g, ' ')}`, width - 4) + age, token }];
}

function attentionLines(state: DeckState, items: AttentionItem[], width: number, now: number, max: number, dismissKey: string): Line[] {
  if (items.length === 0) return [{ text: 'Nothing needs you.', token: 'text.muted' }];
  const lines: Line[] = [];
  let shown = 0;
  for (const item of items) {
    const more = itemLines(state, item, width, now, dismissKey);
    if (lines.length + more.length > max && shown > 0) break;
    lines.push(...more);
    shown++;
  }
  const hidden = items.slice(shown);
  if (hidden.length > 0) {
    const jumps = hidden.some((i) => i.kind !== 'unknown') ? ' (space jumps)' : '';
    lines.push({ text: `… ${hidden.length} more${jumps}`, token: 'text.muted' });
  }
  return lines;
}

/**
 * The times (epoch ms) whose ages the panel can show: attention items, and the
 * selected worker's last `count` thread entries (each takes a line at least).
 */
function ageStamps(items: AttentionItem[], entries: readonly ThreadEntry[], count: number): number[] {
  const stamps = items.map((item) => item.since);
  for (const entry of entries.slice(-count)) stamps.push(entry.from === 'worker' ? entry.message.timestamp : entry.reply.timestamp);
  return stamps;
}

/** The mail panel: what needs attention across the deck, the selected worker's thread, and the reply box. */
export function MailPanel({ width, height }: { width: number; height: number }) {
  const { theme, keymap } = useDeckContext();
  const state = useApp((s) => s.deck);
  const selectedId = useApp((s) => s.ui.selectedId);
  const reply = useApp((s) => s.ui.reply);
  const mode = useApp((s) => s.ui.mode);
  const scroll = useApp((s) => s.ui.mailScroll);
  const inner = width - 2;
  const innerHeight = height - 2;
  const dismissKey = displayKey(keymap.keysOf.get('dismiss')?.[0] ?? 'X');
  const replyLines: Line[] = [];
  const selectedWorker = selectedId ? state.workers[selectedId] : undefined;
  const asked = selectedWorker && isLiveWorker(state, selectedWorker.id) ? selectedWorker.needsInput?.permission : undefined;
  if (reply?.deny && mode === 'reply') {
    const target = state.workers[reply.workerId]?.name ?? reply.workerId;
    replyLines.push({ text: fit(`Deny ${target}: ${reply.deny.what}`, inner), token: 'status.needsInput', bold: true });
    replyLines.push({ text: fit('Reason (optional; the agent receives it):', inner), token: 'text.muted' });
    for (const l of wrap(withCursor(reply.text, reply.cursor), inner - 2).slice(-3)) replyLines.push({ text: `> ${l}`, token: 'text.normal' });
    replyLines.push({ text: fit(reply.busy ? 'sending…' : 'Enter denies · Esc cancels', inner), token: 'text.muted' });
  } else if (asked && mode === 'list') {
    // The ask and its answers, right where the operator looks; no attach needed.
    const key = (id: string, fallback: string) => displayKey(keymap.keysOf.get(id)?.[0] ?? fallback);
    replyLines.push({ text: fit(`Permission asked${asked.tool ? `: ${asked.tool}` : ''}`, inner), token: 'status.needsInput', bold: true });
    for (const l of wrap(asked.detail, inner - 2).slice(0, 4)) replyLines.push({ text: `  ${l}`, token: 'text.normal' });
    const answers = [`${key('permission.allow', 'y')} allow once`, ...(asked.allowAlways ? [`${key('permission.always', 'A')} always`] : []), `${key('permission.deny', 'N')} deny`];
    replyLines.push({ text: fit(answers.join(' · '), inner), token: 'text.accent' });
  } else if (reply && mode === 'reply') {
    const target = state.workers[reply.workerId]?.name ?? reply.workerId;
    replyLines.push({ text: fit(`Reply to ${target}`, inner), token: 'text.accent', bold: true });
    if (reply.question) for (const l of wrap(reply.question, inner - 2).slice(0, 3)) replyLines.push({ text: `? ${l}`, token: 'status.asking' });
    const body = wrap(withCursor(reply.text, reply.cursor), inner - 2);
    for (const l of body.slice(-5)) replyLines.push({ text: `> ${l}`, token: 'text.normal' });
    replyLines.push({ text: fit(reply.busy ? 'sending…' : 'Enter sends · ^J new line · Esc keeps draft', inner), token: 'text.muted' });
  }
  const older = useApp((s) => (selectedId ? s.ui.olderMail[selectedId] : undefined));
  // Each once per frame: both read all of the deck's mail.
  const items = attentionOrder(state);
  const entries = selectedId ? threadOf(state, selectedId, older?.messages) : [];
  // The panel shows the ages of attention items and of the selected thread's entries: only those wake it.
  const now = useAgeNow(ageStamps(items, entries, innerHeight + scroll));
  // Mail of this worker in mail/cur that neither the deck nor a page holds: `[` at the top pages it in.
  const earlier = selectedId ? Math.max(0, olderMailCount(state, selectedId) - (older?.messages.length ?? 0)) : 0;
  const attention = attentionLines(state, items, inner, now, Math.max(2, Math.floor(innerHeight / 4)), dismissKey);
  const upKey = displayKey(keymap.keysOf.get('mail-up')?.[0] ?? '[');
  const headerLines: Line[] = [
    { text: 'Needs you', token: 'text.accent', bold: true },
    ...attention,
    { text: '', token: 'text.muted' },
    {
      text: selectedWorker
        ? `${selectedWorker.name}${isLiveWorker(state, selectedWorker.id) ? '' : ' (not running)'}${scroll > 0 ? ' ↑' : ''}` +
          (earlier > 0 ? ` · ${older?.loading ? 'loading' : `${earlier} earlier (${upKey})`}` : '')
        : 'Thread',
      token: 'text.accent',
      bold: true,
    },
  ];
  const threadSpace = Math.max(1, innerHeight - headerLines.length - replyLines.length);
  // Wrap only what the scroll position can show: the tail, plus what scrolling back reveals.
  let thread = threadTail(entries, inner, now, threadSpace + scroll);
  if (thread.length === 0) thread = [{ text: selectedId ? 'No mail from this worker yet.' : 'Select a worker.', token: 'text.muted' }];
  const maxScroll = Math.max(0, thread.length - threadSpace);
  const offset = Math.min(scroll, maxScroll);
  const end = thread.length - offset;
  const shown = thread.slice(Math.max(0, end - threadSpace), end);
  const lines = [...headerLines, ...shown];
  while (lines.length < innerHeight - replyLines.length) lines.push({ text: '', token: 'text.muted' });
  lines.push(...replyLines);
  return (
    <Pane
      width={width}
      height={height}
      title="Mail"
      colour={theme.c(mode === 'reply' ? 'border.focus' : 'border.normal')}
      titleColour={theme.c('text.accent')}
    >
      {lines.slice(0, innerHeight).map((line, i) => (
        <Text key={i} color={theme.c(line.token)} bold={line.bold}>
          {fit(line.text, inner)}
        </Text>
      ))}
    </Pane>
  );
}
