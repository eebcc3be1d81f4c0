/**
 * The deck's state and its reducer: `reduce(state, event) -> state`. Pure: no I/O.
 *
 * The Deck (src/deck.ts) is the only producer of events; the store and the
 * registry both replay them through `reduce`, so the UI and `state.json` agree.
 */
import type { UsageLimit } from './limit-detect.js';
import type { MailMessage, OperatorReply } from './mail.js';
import type { Conflict, DiffStat, Validation } from './review.js';
import type { PermissionAnswer } from './permission.js';
import {
  hasLiveProcess,
  isLive,
  SIGNAL_RANK,
  statusOnExit,
  type NeedsInput,
  type SignalSource,
  type WorkerRecord,
} from './worker.js';

export interface Warning {
  id: number;
  text: string;
  /** epoch ms */
  at: number;
}

export interface DeckState {
  workers: Record<string, WorkerRecord>;
  /** Worker ids in creation order: the list order. */
  order: string[];
  /**
   * Handled mail in memory, in `seq` order, including mail for unknown
   * workers: each sender's newest MAIL_KEEP messages, plus every open
   * question. Older mail stays in `mail/cur` and pages in on demand.
   */
  mail: MailMessage[];
  /** Messages ever handled per sender (worker id), needs-input signals left out: `mail` holds the newest. */
  mailTotals: Record<string, number>;
  replies: OperatorReply[];
  warnings: Warning[];
  /** The next mail sequence number to hand out. */
  nextSeq: number;
  /**
   * Mail from workers this deck does not know that the operator dismissed:
   * worker id → the highest dismissed `seq`. Dismissed mail stays in
   * `mail/cur` and in `mail`; it only leaves the attention list.
   */
  dismissed: Record<string, number>;
}

export type DeckEvent =
  | { type: 'worker-added'; worker: WorkerRecord }
  | { type: 'worker-started'; id: string; pid: number; command: string[]; at: number; sessionId?: string }
  | {
      type: 'worker-exited';
      id: string;
      exitCode: number | null;
      signal: number | null;
      stopRequested: boolean;
      reason: string | null;
      at: number;
      /** The deck stopped it for a failure of its own finding (a watchdog): it ends `failed`. */
      failed?: boolean;
    }
  | { type: 'worker-removed'; id: string }
  | { type: 'mail-received'; message: MailMessage }
  /** Several messages handled together (a backlog): the same as one mail-received each, in order, with one update. */
  | { type: 'mail-batch'; messages: MailMessage[] }
  | { type: 'operator-wrote'; reply: OperatorReply }
  | { type: 'mail-seen'; workerId: string; seq: number }
  /** The operator dismissed the mail of a worker this deck does not know, up to `seq`. */
  | { type: 'mail-dismissed'; workerId: string; seq: number; at: number }
  | { type: 'needs-input'; id: string; needsInput: NeedsInput | null; source: SignalSource }
  /**
   * The worker's agent hit a usage limit (`limit`), or it ended (null): the
   * screen no longer shows it, or its reset came (`resumed`: the deck nudged it on).
   */
  | { type: 'limit'; id: string; limit: UsageLimit | null; resumed?: boolean }
  /** The operator answered a permission ask (src/core/permission.ts): it leaves the worker; one events.jsonl line. */
  | {
      type: 'permission-answered';
      id: string;
      name: string;
      askId: string;
      source: 'hook' | 'screen';
      tool: string;
      detail: string;
      answer: PermissionAnswer;
      reason: string | null;
      at: number;
    }
  | { type: 'activity'; id: string; activity: 'busy' | 'idle' }
  | { type: 'warning'; text: string; at: number }
  /** The worker's diffstat against its base was computed again (src/server/review.ts). */
  | { type: 'worker-diffstat'; id: string; diffstat: DiffStat | null }
  /** The conflict radar's finding for the worker changed (src/server/radar.ts). */
  | { type: 'worker-conflicts'; id: string; conflicts: Conflict[] }
  /** A validate run started or ended (src/server/validate.ts). */
  | { type: 'worker-validation'; id: string; validation: Validation }
  /** The spawn queue's new order: each queued worker's `queue.rank` is its index in `ids`. */
  | { type: 'queue-order'; ids: string[] }
  /** Earlier workers and mail were loaded (the state was replaced whole). */
  | { type: 'restored' };

/** Messages of one sender kept in memory (`DeckState.mail`); older ones page in from `mail/cur`. */
export const MAIL_KEEP = 50;

/** Most warnings kept in memory; older ones are still in events.jsonl. */
const MAX_WARNINGS = 50;

/** A deck with no workers, mail or warnings; mail sequence numbers start at 1. */
export function emptyDeckState(): DeckState {
  return { workers: {}, order: [], mail: [], mailTotals: {}, replies: [], warnings: [], nextSeq: 1, dismissed: {} };
}

function patchWorker(state: DeckState, id: string, patch: Partial<WorkerRecord>): DeckState {
  const worker = state.workers[id];
  if (!worker) return state;
  return { ...state, workers: { ...state.workers, [id]: { ...worker, ...patch } } };
}

/**
 * The mail an event brings, in seq order: the one message of a
 * `mail-received`, every message of a `mail-batch`, none for other events.
 * Subscribers that act on mail read it through this, so a batch is never missed.
 */
export function eventMail(event: DeckEvent): MailMessage[] {
  return event.type === 'mail-received' ? [event.message] : event.type === 'mail-batch' ? event.messages : [];
}

/** Apply one event. Unknown worker ids leave the state unchanged. */
export function reduce(state: DeckState, event: DeckEvent): DeckState {
  switch (event.type) {
    case 'worker-added':
      return {
        ...state,
        workers: { ...state.workers, [event.worker.id]: event.worker },
        order: state.order.includes(event.worker.id) ? state.order : [...state.order, event.worker.id],
      };
    case 'worker-started':
      return patchWorker(state, event.id, {
        ...(event.sessionId ? { sessionId: event.sessionId } : {}),
        pid: event.pid,
        command: event.command,
        status: 'running',
        exitCode: null,
        signal: null,
        reason: null,
        needsInput: null,
        limit: null,
        endedAt: null,
        updatedAt: event.at,
      });
    case 'worker-exited': {
      const worker = state.workers[event.id];
      if (!worker) return state;
      return patchWorker(state, event.id, {
        status: event.failed && worker.status !== 'completed' ? 'failed' : statusOnExit(worker.status, event.exitCode, event.stopRequested),
        exitCode: event.exitCode,
        signal: event.signal,
        reason: event.reason,
        needsInput: null,
        limit: null,
        activity: 'idle',
        endedAt: event.at,
        updatedAt: event.at,
      });
    }
    case 'worker-removed': {
      if (!state.workers[event.id]) return state;
      const { [event.id]: _removed, ...workers } = state.workers;
      return { ...state, workers, order: state.order.filter((id) => id !== event.id) };
    }
    case 'mail-received': {
      const { message } = event;
      const mailTotals =
        message.type === 'needs-input' ? state.mailTotals : { ...state.mailTotals, [message.workerId]: (state.mailTotals[message.workerId] ?? 0) + 1 };
      const mail = keepNewest([...state.mail, message], message.workerId, state);
      return applyMail({ ...state, mail, mailTotals, nextSeq: Math.max(state.nextSeq, message.seq + 1) }, message);
    }
    case 'mail-batch': {
      let next = state;
      for (const message of event.messages) next = reduce(next, { type: 'mail-received', message });
      return next;
    }
    case 'operator-wrote': {
      const { reply } = event;
      const next = { ...state, replies: [...state.replies, reply] };
      const worker = next.workers[reply.workerId];
      if (!worker) return next;
      const back = worker.status === 'asking' || worker.status === 'completed';
      return patchWorker(next, reply.workerId, {
        status: back ? 'running' : worker.status,
        answered: reply.inReplyTo ? [...worker.answered, reply.inReplyTo] : worker.answered,
        needsInput: null,
        updatedAt: reply.timestamp,
      });
    }
    case 'mail-seen': {
      const worker = state.workers[event.workerId];
      if (!worker || worker.seenSeq >= event.seq) return state;
      return patchWorker(state, event.workerId, { seenSeq: event.seq });
    }
    case 'mail-dismissed': {
      // A worker of this deck has its mail marked seen instead; dismissal is for strangers only.
      if (state.workers[event.workerId] || (state.dismissed[event.workerId] ?? 0) >= event.seq) return state;
      return { ...state, dismissed: { ...state.dismissed, [event.workerId]: event.seq } };
    }
    case 'needs-input': {
      const worker = state.workers[event.id];
      if (!worker || !hasLiveProcess(worker)) return state;
      const current = worker.needsInput;
      // A weaker source may neither set over nor clear a stronger one's signal.
      if (current && SIGNAL_RANK[current.source] > SIGNAL_RANK[event.source]) return state;
      if (current === null && event.needsInput === null) return state;
      return patchWorker(state, event.id, { needsInput: event.needsInput });
    }
    case 'limit': {
      const worker = state.workers[event.id];
      if (!worker || (event.limit !== null && !hasLiveProcess(worker)) || (event.limit === null && !worker.limit)) return state;
      return patchWorker(state, event.id, { limit: event.limit });
    }
    case 'permission-answered': {
      const worker = state.workers[event.id];
      if (worker?.needsInput?.permission?.id !== event.askId) return state;
      return patchWorker(state, event.id, { needsInput: null });
    }
    case 'activity': {
      const worker = state.workers[event.id];
      if (!worker || worker.activity === event.activity) return state;
      return patchWorker(state, event.id, { activity: event.activity });
    }
    case 'restored':
      return state;
    case 'queue-order': {
      let next = state;
      event.ids.forEach((id, rank) => {
        const queue = next.workers[id]?.queue;
        if (queue && next.workers[id]?.status === 'queued') next = patchWorker(next, id, { queue: { ...queue, rank } });
      });
      return next;
    }
    case 'worker-diffstat':
      return patchWorker(state, event.id, { diffstat: event.diffstat });
    case 'worker-conflicts':
      return patchWorker(state, event.id, { conflicts: event.conflicts });
    case 'worker-validation':
      return patchWorker(state, event.id, { validation: event.validation });
    case 'warning': {
      const warning = { id: (state.warnings.at(-1)?.id ?? 0) + 1, text: event.text, at: event.at };
      return { ...state, warnings: [...state.warnings, warning].slice(-MAX_WARNINGS) };
    }
  }
}

/**
 * `mail` with `workerId`'s oldest messages beyond MAIL_KEEP dropped; an
 * open question (no reply yet, from a live worker of this deck) is never dropped. O(mail), and `mail` stays
 * O(senders × MAIL_KEEP), so handling a message costs the same at the
 * 5,000th as at the first.
 */
function keepNewest(mail: MailMessage[], workerId: string, state: DeckState): MailMessage[] {
  let count = 0;
  for (const m of mail) if (m.workerId === workerId) count++;
  if (count <= MAIL_KEEP) return mail;
  const isOpen = openQuestionTest(state);
  let drop = count - MAIL_KEEP;
  return mail.filter((m) => {
    if (drop === 0 || m.workerId !== workerId || isOpen(m)) return true;
    drop--;
    return false;
  });
}

/** Messages of one sender a restart loads into memory again: enough for the thread on screen. */
export const MAIL_RELOAD = 20;

/**
 * The seqs a restart must load from `mail/cur` to show what this state shows:
 * each sender's newest MAIL_RELOAD messages and every open question, in
 * `seq` order. Saved in `state.json` so that start-up reads those files only.
 */
export function mailToReload(state: DeckState): number[] {
  const open = new Set(unansweredQuestions(state).map((m) => m.seq));
  const perSender = new Map<string, number>();
  const seqs: number[] = [];
  for (let i = state.mail.length - 1; i >= 0; i--) {
    const m = state.mail[i] as MailMessage;
    const n = perSender.get(m.workerId) ?? 0;
    if (n < MAIL_RELOAD || open.has(m.seq)) seqs.push(m.seq);
    perSender.set(m.workerId, n + 1);
  }
  return seqs.reverse();
}

/** Messages of `workerId` in `mail/cur` that `state.mail` does not hold (older ones, paged in on demand). */
export function olderMailCount(state: DeckState, workerId: string): number {
  let held = 0;
  for (const m of state.mail) if (m.workerId === workerId && m.type !== 'needs-input') held++;
  return Math.max(0, (state.mailTotals[workerId] ?? 0) - held);
}

function applyMail(state: DeckState, message: MailMessage): DeckState {
  const worker = state.workers[message.workerId];
  if (!worker) return state;
  const base = { updatedAt: Math.max(worker.updatedAt, message.timestamp) };
  switch (message.type) {
    case 'question':
      return patchWorker(state, worker.id, {
        ...base,
        status: hasLiveProcess(worker) ? 'asking' : worker.status,
        note: message.content,
        needsInput: null,
      });
    case 'completion':
      return patchWorker(state, worker.id, {
        ...base,
        status: isLive(worker.status) || worker.status === 'exited' ? 'completed' : worker.status,
        note: message.content,
        needsInput: null,
      });
    case 'progress':
      return patchWorker(state, worker.id, { ...base, note: message.content });
    case 'error':
      return patchWorker(state, worker.id, { ...base, note: `error: ${message.content}` });
    case 'needs-input': {
      if (!hasLiveProcess(worker)) return state;
      const current = worker.needsInput;
      if (current && SIGNAL_RANK[current.source] > SIGNAL_RANK.hook) return state;
      const reason = message.content.trim();
      // The agent's notification of the dialog its permission hook already shows (precisely) adds nothing.
      if (current?.permission && current.source === 'hook' && reason) return state;
      return patchWorker(state, worker.id, {
        needsInput: reason ? { reason, source: 'hook', since: message.timestamp } : null,
      });
    }
  }
}

/**
 * Count of a worker's messages the operator has neither seen nor dismissed;
 * 0 for a worker this deck does not know (its mail is listed by `unknownMail`).
 */
export function unreadCount(state: DeckState, workerId: string): number {
  const worker = state.workers[workerId];
  if (!worker) return 0;
  const seen = Math.max(worker.seenSeq, state.dismissed[workerId] ?? 0);
  let count = 0;
  for (const m of state.mail) if (m.workerId === workerId && m.seq > seen && m.type !== 'needs-input') count++;
  return count;
}

/** True when `workerId` is a worker of this deck whose process is alive. */
export function isLiveWorker(state: DeckState, workerId: string): boolean {
  const worker = state.workers[workerId];
  return worker !== undefined && hasLiveProcess(worker);
}

/**
 * Open questions, oldest first: no operator reply yet, and the asker is a
 * worker of this deck that can still take one. A worker whose process ended
 * cannot, so its questions close with it. Mail from a worker this deck does
 * not know is never an open question, since no reply can reach it: it is
 * listed by `unknownMail` until the operator dismisses it.
 */
export function unansweredQuestions(state: DeckState, workerId?: string): MailMessage[] {
  const isOpen = openQuestionTest(state);
  return state.mail
    .filter((m) => (workerId === undefined || m.workerId === workerId) && isOpen(m))
    .sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
}

/** Whether a message is an open question (see unansweredQuestions), for many messages of one state. */
function openQuestionTest(state: DeckState): (m: MailMessage) => boolean {
  const answered = new Set<string>();
  for (const r of state.replies) if (r.inReplyTo) answered.add(r.inReplyTo);
  return (m) => {
    if (m.type !== 'question' || answered.has(m.id)) return false;
    const worker = state.workers[m.workerId];
    return worker !== undefined && hasLiveProcess(worker) && !worker.answered.includes(m.id);
  };
}

/**
 * The question `r` answers for a selected worker: its oldest open one, else
 * the deck's oldest open question of a live worker of this deck; null when none.
 */
export function questionToAnswer(state: DeckState, selectedId: string | null): MailMessage | null {
  const open = unansweredQuestions(state).filter((q) => isLiveWorker(state, q.workerId));
  return open.find((q) => q.workerId === selectedId) ?? open[0] ?? null;
}

/** The undismissed mail of one worker this deck does not know. */
export interface UnknownMail {
  workerId: string;
  /** The name its newest message claims, or null. */
  workerName: string | null;
  /** Its undismissed messages in `seq` order (needs-input signals left out). */
  messages: MailMessage[];
  /** How many of them are questions. */
  questions: number;
  /** epoch ms of the oldest message */
  since: number;
  /** The highest `seq` among them: what a dismissal covers. */
  lastSeq: number;
}

/**
 * Mail from workers this deck does not know (another deck's, or a removed
 * worker's) that the operator has not dismissed, grouped by worker id, the
 * group with the oldest message first. It is never typed anywhere, never
 * counted as unread or as a question, and stays until dismissed.
 */
export function unknownMail(state: DeckState): UnknownMail[] {
  const groups = new Map<string, UnknownMail>();
  for (const m of state.mail) {
    if (m.type === 'needs-input' || state.workers[m.workerId] || m.seq <= (state.dismissed[m.workerId] ?? 0)) continue;
    let group = groups.get(m.workerId);
    if (!group) {
      group = { workerId: m.workerId, workerName: null, messages: [], questions: 0, since: m.timestamp, lastSeq: m.seq };
      groups.set(m.workerId, group);
    }
    group.messages.push(m);
    if (m.type === 'question') group.questions++;
    group.workerName = m.workerName ?? group.workerName;
    group.since = Math.min(group.since, m.timestamp);
    group.lastSeq = Math.max(group.lastSeq, m.seq);
  }
  return [...groups.values()].sort((a, b) => a.since - b.since || a.lastSeq - b.lastSeq);
}

export type AttentionKind = 'question' | 'needs-input' | 'completion' | 'other' | 'unknown';

export interface AttentionItem {
  kind: AttentionKind;
  workerId: string;
  /** The message behind the item (for `unknown`, the newest), null for a needs-input signal. */
  message: MailMessage | null;
  /** epoch ms the item began */
  since: number;
  /** false when the mail's workerId is not a live worker of this deck */
  live: boolean;
  /** For `unknown`: how many undismissed messages the worker sent; else 1. */
  count: number;
}

const KIND_RANK: Record<AttentionKind, number> = { question: 0, 'needs-input': 1, completion: 2, other: 3, unknown: 4 };

/**
 * The attention order across all workers: unanswered questions first (oldest
 * first), then workers that need input, then unseen completions, then the rest
 * of the unseen mail, and last one `unknown` item per worker this deck does not
 * know that has undismissed mail (see `unknownMail`).
 */
export function attentionOrder(state: DeckState): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const q of unansweredQuestions(state)) {
    items.push({ kind: 'question', workerId: q.workerId, message: q, since: q.timestamp, live: true, count: 1 });
  }
  for (const id of state.order) {
    const w = state.workers[id];
    if (w?.needsInput && hasLiveProcess(w)) {
      items.push({ kind: 'needs-input', workerId: id, message: null, since: w.needsInput.since, live: true, count: 1 });
    }
  }
  for (const m of state.mail) {
    if (m.type === 'question' || m.type === 'needs-input') continue;
    const worker = state.workers[m.workerId];
    if (!worker || m.seq <= worker.seenSeq) continue;
    items.push({
      kind: m.type === 'completion' ? 'completion' : 'other',
      workerId: m.workerId,
      message: m,
      since: m.timestamp,
      live: hasLiveProcess(worker),
      count: 1,
    });
  }
  for (const group of unknownMail(state)) {
    const newest = group.messages.at(-1) ?? null;
    items.push({ kind: 'unknown', workerId: group.workerId, message: newest, since: group.since, live: false, count: group.messages.length });
  }
  return items.sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.since - b.since);
}

/**
 * The worker Space jumps to: the next distinct worker in attention order after
 * `currentId`, wrapping around; null when no worker of this deck needs
 * attention (mail from workers it does not know never makes Space stop).
 */
export function nextAttentionWorker(state: DeckState, currentId: string | null): string | null {
  const ids: string[] = [];
  for (const item of attentionOrder(state)) {
    if (state.workers[item.workerId] && !ids.includes(item.workerId)) ids.push(item.workerId);
  }
  if (ids.length === 0) return null;
  const at = currentId === null ? -1 : ids.indexOf(currentId);
  if (at === -1) return ids[0] ?? null;
  return ids[(at + 1) % ids.length] ?? null;
}

/** One entry in a worker's thread: a worker message or an operator reply, by time. */
export type ThreadEntry =
  | { from: 'worker'; message: MailMessage }
  | { from: 'operator'; reply: OperatorReply };

/**
 * The selected worker's thread, oldest first.
 * @param older its mail paged in from `mail/cur` (older than what `state.mail` holds)
 */
export function threadOf(state: DeckState, workerId: string, older: readonly MailMessage[] = []): ThreadEntry[] {
  const entries: ThreadEntry[] = [];
  const held = new Set<number>();
  for (const m of state.mail) if (m.workerId === workerId && m.type !== 'needs-input') held.add(m.seq);
  for (const m of older) if (!held.has(m.seq)) entries.push({ from: 'worker', message: m });
  for (const m of state.mail) if (m.workerId === workerId && m.type !== 'needs-input') entries.push({ from: 'worker', message: m });
  for (const r of state.replies) if (r.workerId === workerId) entries.push({ from: 'operator', reply: r });
  const time = (e: ThreadEntry) => (e.from === 'worker' ? e.message.timestamp : e.reply.timestamp);
  return entries.sort((a, b) => time(a) - time(b));
}

/** Worker counts by status, for the header. */
export function countByStatus(state: DeckState): Partial<Record<WorkerRecord['status'], number>> {
  const counts: Partial<Record<WorkerRecord['status'], number>> = {};
  for (const id of state.order) {
    const w = state.workers[id];
    if (w) counts[w.status] = (counts[w.status] ?? 0) + 1;
  }
  return counts;
}
