/**
 * What deserves a notification: a question, a worker that needs input, a
 * completion, a failure, a validation result. Pure: the server's
 * `notify.command` (src/server/notify.ts) and the TUI's desktop
 * notifications (src/client/desktop-notify.ts) both read events through it.
 */
import { eventMail, type DeckEvent, type DeckState } from './deck-state.js';
import type { UsageLimit } from './limit-detect.js';
import type { MailMessage } from './mail.js';
import type { WorkerRecord } from './worker.js';

export type NotifyEventKind = 'question' | 'needs-input' | 'completion' | 'failure' | 'validation' | 'limit';

/** One notification, as the command reads it from stdin. */
export interface NotifyEvent {
  event: NotifyEventKind;
  worker: { id: string; name: string; agent: string; branch: string | null; status: string };
  text: string;
  /** epoch ms */
  at: number;
}

/**
 * The events of one deck event worth a notification, read against the
 * state before and after it. Pure.
 */
export function notifyEvents(before: DeckState, after: DeckState, event: DeckEvent, now: number): NotifyEvent[] {
  const about = (w: WorkerRecord | undefined, kind: NotifyEventKind, text: string): NotifyEvent[] =>
    w ? [{ event: kind, worker: { id: w.id, name: w.name, agent: w.agent, branch: w.branch, status: w.status }, text, at: now }] : [];
  const fromMail = (m: MailMessage): NotifyEvent[] =>
    m.type === 'question' ? about(after.workers[m.workerId], 'question', m.content) : m.type === 'completion' ? about(after.workers[m.workerId], 'completion', m.content) : [];
  switch (event.type) {
    case 'mail-received':
    case 'mail-batch':
      return eventMail(event).flatMap(fromMail);
    case 'needs-input': {
      const was = before.workers[event.id]?.needsInput?.reason ?? null;
      const is = after.workers[event.id]?.needsInput?.reason ?? null;
      return is !== null && is !== was ? about(after.workers[event.id], 'needs-input', is) : [];
    }
    case 'limit':
      return event.limit && !before.workers[event.id]?.limit ? about(after.workers[event.id], 'limit', limitText(event.limit)) : [];
    case 'worker-exited': {
      const w = after.workers[event.id];
      return w?.status === 'failed' ? about(w, 'failure', w.reason ?? 'failed') : [];
    }
    case 'worker-validation': {
      const v = event.validation;
      return v.status === 'running' ? [] : about(after.workers[event.id], 'validation', `${v.status === 'timed-out' ? 'timed out' : v.status}: ${v.command}`);
    }
    default:
      return [];
  }
}

/** A limit for a notification: what the agent said, and the reset as the server's local time when known. */
export function limitText(limit: UsageLimit): string {
  return limit.resetAt === null ? limit.text : `${limit.text} (resets ${new Date(limit.resetAt).toLocaleString()})`;
}
