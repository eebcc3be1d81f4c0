import { describe, expect, it } from 'vitest';
import {
  attentionOrder,
  emptyDeckState,
  nextAttentionWorker,
  reduce,
  threadOf,
  unansweredQuestions,
  unknownMail,
  unreadCount,
  type DeckEvent,
  type DeckState,
  olderMailCount,
  mailToReload,
  MAIL_KEEP,
  MAIL_RELOAD,
} from '../../src/core/deck-state.js';
import type { MailMessage, MailType, OperatorReply } from '../../src/core/mail.js';
import { newWorkerRecord, type WorkerRecord } from '../../src/core/worker.js';

function worker(id: string, patch: Partial<WorkerRecord> = {}): WorkerRecord {
  return newWorkerRecord({ id, name: `w-${id}`, agent: 'shell', cwd: '/tmp', createdAt: 0, ...patch });
}

let seq = 0;
function mail(workerId: string, type: MailType, timestamp: number, content = `${type} ${timestamp}`, id?: string): MailMessage {
  seq++;
  return { id: id ?? `m${seq}`, workerId, workerName: null, type, content, timestamp, inReplyTo: null, seq };
}

function reply(workerId: string, timestamp: number, inReplyTo: string | null = null, kind: 'reply' | 'nudge' = 'reply'): OperatorReply {
  return { id: `r${timestamp}`, workerId, kind, content: `reply ${timestamp}`, inReplyTo, timestamp };
}

function run(events: DeckEvent[], state: DeckState = emptyDeckState()): DeckState {
  return events.reduce(reduce, state);
}

/** A deck whose messages get fresh seq numbers in the order they are received. */
function received(state: DeckState, ...messages: Omit<MailMessage, 'seq'>[]): DeckState {
  let s = state;
  for (const m of messages) s = reduce(s, { type: 'mail-received', message: { ...m, seq: s.nextSeq } });
  return s;
}

const added = (id: string, patch: Partial<WorkerRecord> = {}): DeckEvent => ({ type: 'worker-added', worker: worker(id, patch) });
const started = (id: string, at = 1): DeckEvent => ({ type: 'worker-started', id, pid: 4242, command: ['/bin/sh'], at });
const exited = (id: string, exitCode: number | null, stopRequested = false, signal: number | null = null): DeckEvent => ({
  type: 'worker-exited',
  id,
  exitCode,
  signal,
  stopRequested,
  reason: null,
  at: 99,
});

describe('status machine', () => {
  it('goes starting → running on worker-started', () => {
    const s0 = run([added('a')]);
    expect(s0.workers.a?.status).toBe('starting');
    const s1 = reduce(s0, started('a', 5));
    expect(s1.workers.a?.status).toBe('running');
    expect(s1.workers.a?.pid).toBe(4242);
    expect(s1.workers.a?.updatedAt).toBe(5);
  });

  it('a question makes it asking, a reply takes it back to running, a completion makes it completed', () => {
    let s = run([added('a'), started('a')]);
    const q = mail('a', 'question', 10, 'Which DB?');
    s = reduce(s, { type: 'mail-received', message: q });
    expect(s.workers.a?.status).toBe('asking');
    expect(s.workers.a?.note).toBe('Which DB?');
    s = reduce(s, { type: 'operator-wrote', reply: reply('a', 20, q.id) });
    expect(s.workers.a?.status).toBe('running');
    expect(s.workers.a?.answered).toEqual([q.id]);
    s = reduce(s, { type: 'mail-received', message: mail('a', 'completion', 30, 'done') });
    expect(s.workers.a?.status).toBe('completed');
    expect(s.workers.a?.note).toBe('done');
    // A nudge takes a completed worker back to running too.
    s = reduce(s, { type: 'operator-wrote', reply: reply('a', 40, null, 'nudge') });
    expect(s.workers.a?.status).toBe('running');
  });

  it('maps exits: 0 → exited, non-zero → failed, signal → failed, operator stop → stopped', () => {
    const base = run([added('a'), started('a')]);
    expect(reduce(base, exited('a', 0)).workers.a?.status).toBe('exited');
    expect(reduce(base, exited('a', 3)).workers.a?.status).toBe('failed');
    expect(reduce(base, exited('a', 3)).workers.a?.exitCode).toBe(3);
    const killed = reduce(base, exited('a', null, false, 9)).workers.a;
    expect(killed?.status).toBe('failed');
    expect(killed?.signal).toBe(9);
    expect(reduce(base, exited('a', null, true, 15)).workers.a?.status).toBe('stopped');
    expect(reduce(base, exited('a', 0, true)).workers.a?.status).toBe('stopped');
    expect(reduce(base, exited('a', 0)).workers.a?.endedAt).toBe(99);
  });

  it('a completed worker stays completed however its process ends', () => {
    const done = received(run([added('a'), started('a')]), mail('a', 'completion', 10));
    expect(done.workers.a?.status).toBe('completed');
    expect(reduce(done, exited('a', 0)).workers.a?.status).toBe('completed');
    expect(reduce(done, exited('a', 1)).workers.a?.status).toBe('completed');
    expect(reduce(done, exited('a', null, true, 15)).workers.a?.status).toBe('completed');
    expect(reduce(done, exited('a', 1)).workers.a?.exitCode).toBe(1);
  });

  it('a completion that arrives after a clean exit makes it completed; after a failure it stays failed', () => {
    const clean = reduce(run([added('a'), started('a')]), exited('a', 0));
    expect(clean.workers.a?.status).toBe('exited');
    expect(received(clean, mail('a', 'completion', 10)).workers.a?.status).toBe('completed');
    const failed = reduce(run([added('a'), started('a')]), exited('a', 2));
    expect(received(failed, mail('a', 'completion', 10)).workers.a?.status).toBe('failed');
    const stopped = reduce(run([added('a'), started('a')]), exited('a', null, true));
    expect(received(stopped, mail('a', 'question', 10)).workers.a?.status).toBe('stopped');
  });

  it('events for unknown workers leave the state unchanged', () => {
    const s = run([added('a')]);
    expect(reduce(s, started('zz'))).toBe(s);
    expect(reduce(s, exited('zz', 0))).toBe(s);
    expect(reduce(s, { type: 'worker-removed', id: 'zz' })).toBe(s);
  });

  it('worker-removed drops it from workers and order', () => {
    const s = run([added('a'), added('b'), { type: 'worker-removed', id: 'a' }]);
    expect(s.order).toEqual(['b']);
    expect(s.workers.a).toBeUndefined();
  });
});

describe('needs input', () => {
  const live = () => run([added('a'), started('a')]);
  const screen = (reason: string | null): DeckEvent => ({
    type: 'needs-input',
    id: 'a',
    needsInput: reason === null ? null : { reason, source: 'screen', since: 5 },
    source: 'screen',
  });

  it('a screen signal sets and clears its own flag', () => {
    const s = reduce(live(), screen('permission prompt'));
    expect(s.workers.a?.needsInput).toEqual({ reason: 'permission prompt', source: 'screen', since: 5 });
    expect(reduce(s, screen(null)).workers.a?.needsInput).toBeNull();
  });

  it('a hook signal (needs-input mail) outranks the screen: the screen can neither override nor clear it', () => {
    let s = received(live(), mail('a', 'needs-input', 50, 'Claude needs your permission'));
    expect(s.workers.a?.needsInput).toEqual({ reason: 'Claude needs your permission', source: 'hook', since: 50 });
    expect(reduce(s, screen('y/n prompt')).workers.a?.needsInput?.source).toBe('hook');
    expect(reduce(s, screen(null)).workers.a?.needsInput?.reason).toBe('Claude needs your permission');
    // The hook overrides a screen signal, and an empty hook message clears it.
    s = received(reduce(live(), screen('y/n prompt')), mail('a', 'needs-input', 60, 'idle prompt'));
    expect(s.workers.a?.needsInput?.source).toBe('hook');
    expect(received(s, mail('a', 'needs-input', 70, '   ')).workers.a?.needsInput).toBeNull();
  });

  it('a mail-source signal outranks the hook', () => {
    const s = reduce(live(), { type: 'needs-input', id: 'a', needsInput: { reason: 'asked', source: 'mail', since: 1 }, source: 'mail' });
    expect(received(s, mail('a', 'needs-input', 2, 'hook says')).workers.a?.needsInput?.reason).toBe('asked');
    expect(reduce(s, { type: 'needs-input', id: 'a', needsInput: null, source: 'hook' }).workers.a?.needsInput?.reason).toBe('asked');
    // The deck's own clear on operator input uses the top rank.
    expect(reduce(s, { type: 'needs-input', id: 'a', needsInput: null, source: 'mail' }).workers.a?.needsInput).toBeNull();
  });

  it('an operator write clears any signal', () => {
    const s = received(live(), mail('a', 'needs-input', 50, 'permission'));
    expect(reduce(s, { type: 'operator-wrote', reply: reply('a', 60) }).workers.a?.needsInput).toBeNull();
  });

  it('is ignored for workers that are not live, and cleared on exit', () => {
    const ended = reduce(live(), exited('a', 0));
    expect(reduce(ended, screen('y/n prompt')).workers.a?.needsInput).toBeNull();
    expect(received(ended, mail('a', 'needs-input', 5, 'x')).workers.a?.needsInput).toBeNull();
    const flagged = reduce(live(), screen('y/n prompt'));
    expect(reduce(flagged, exited('a', 0)).workers.a?.needsInput).toBeNull();
  });

  it('needs-input mail is not in the thread and not unread', () => {
    const s = received(live(), mail('a', 'needs-input', 50, 'permission'), mail('a', 'progress', 60, 'p'));
    expect(unreadCount(s, 'a')).toBe(1);
    expect(threadOf(s, 'a').map((e) => (e.from === 'worker' ? e.message.type : 'reply'))).toEqual(['progress']);
    expect(attentionOrder(s).map((i) => i.kind)).toEqual(['needs-input', 'other']);
  });
});

describe('mail bookkeeping', () => {
  it('unreadCount counts messages above seenSeq, per worker', () => {
    let s = received(run([added('a'), started('a'), added('b'), started('b')]), mail('a', 'progress', 1), mail('b', 'progress', 2), mail('a', 'question', 3));
    expect(unreadCount(s, 'a')).toBe(2);
    expect(unreadCount(s, 'b')).toBe(1);
    const firstA = s.mail.find((m) => m.workerId === 'a')!;
    s = reduce(s, { type: 'mail-seen', workerId: 'a', seq: firstA.seq });
    expect(unreadCount(s, 'a')).toBe(1);
    s = reduce(s, { type: 'mail-seen', workerId: 'a', seq: s.nextSeq - 1 });
    expect(unreadCount(s, 'a')).toBe(0);
    // mail-seen never goes backwards
    expect(reduce(s, { type: 'mail-seen', workerId: 'a', seq: 1 }).workers.a?.seenSeq).toBe(s.nextSeq - 1);
  });

  it('nextSeq follows the highest received seq', () => {
    const s = reduce(emptyDeckState(), { type: 'mail-received', message: { ...mail('x', 'progress', 1), seq: 41 } });
    expect(s.nextSeq).toBe(42);
  });

  it('unansweredQuestions: oldest first, minus answered ones, filtered by worker', () => {
    let s = run([added('a'), started('a'), added('b'), started('b')]);
    s = received(s, mail('a', 'question', 300, 'a late', 'qa2'), mail('b', 'question', 100, 'b first', 'qb'), mail('a', 'question', 200, 'a early', 'qa1'));
    expect(unansweredQuestions(s).map((q) => q.id)).toEqual(['qb', 'qa1', 'qa2']);
    expect(unansweredQuestions(s, 'a').map((q) => q.id)).toEqual(['qa1', 'qa2']);
    s = reduce(s, { type: 'operator-wrote', reply: reply('a', 400, 'qa1') });
    expect(unansweredQuestions(s).map((q) => q.id)).toEqual(['qb', 'qa2']);
    // A reply without inReplyTo answers nothing.
    s = reduce(s, { type: 'operator-wrote', reply: reply('b', 500) });
    expect(unansweredQuestions(s, 'b').map((q) => q.id)).toEqual(['qb']);
  });

  it('threadOf interleaves worker mail and operator replies by time', () => {
    let s = run([added('a'), started('a'), added('b'), started('b')]);
    s = received(s, mail('a', 'question', 100, 'q', 'q1'), mail('b', 'progress', 150), mail('a', 'progress', 300, 'p'));
    s = reduce(s, { type: 'operator-wrote', reply: reply('a', 200, 'q1') });
    const thread = threadOf(s, 'a').map((e) => (e.from === 'worker' ? `w:${e.message.content}` : `o:${e.reply.content}`));
    expect(thread).toEqual(['w:q', 'o:reply 200', 'w:p']);
  });
});

describe('attention', () => {
  function deck(): DeckState {
    let s = run([added('a'), started('a'), added('b'), started('b'), added('c'), started('c'), added('d'), started('d')]);
    s = received(
      s,
      mail('c', 'progress', 50, 'c progress', 'pc'),
      mail('a', 'completion', 60, 'a done', 'ca'),
      mail('b', 'question', 300, 'b asks', 'qb'),
      mail('c', 'question', 200, 'c asks', 'qc'),
      mail('ghost', 'question', 250, 'from nowhere', 'qg'),
      mail('ghost', 'progress', 10, 'ghost progress', 'pg'),
    );
    s = reduce(s, { type: 'needs-input', id: 'd', needsInput: { reason: 'y/n prompt', source: 'screen', since: 400 }, source: 'screen' });
    return s;
  }

  it('orders questions oldest first, then needs-input, then unseen completions, then other, then one item per unknown worker', () => {
    const items = attentionOrder(deck());
    expect(items.map((i) => `${i.kind}:${i.workerId}`)).toEqual([
      'question:c',
      'question:b',
      'needs-input:d',
      'completion:a',
      'other:c',
      'unknown:ghost',
    ]);
    const ghost = items.at(-1)!;
    expect(ghost).toMatchObject({ count: 2, since: 10, live: false });
    expect(ghost.message?.id).toBe('pg');
  });

  it('marks mail for unknown workers live: false and known live workers live: true', () => {
    const items = attentionOrder(deck());
    for (const item of items) expect(item.live).toBe(item.workerId !== 'ghost');
  });

  it("a known worker's unseen mail is marked not live once its process ended", () => {
    const s = reduce(deck(), exited('a', 0));
    expect(attentionOrder(s).find((i) => i.workerId === 'a')).toMatchObject({ kind: 'completion', live: false });
  });

  it('seen completions drop out; a question stays until answered', () => {
    let s = deck();
    const a = s.workers.a!;
    s = reduce(s, { type: 'mail-seen', workerId: a.id, seq: s.nextSeq - 1 });
    s = reduce(s, { type: 'mail-seen', workerId: 'c', seq: s.nextSeq - 1 });
    const kinds = attentionOrder(s).map((i) => `${i.kind}:${i.workerId}`);
    expect(kinds).not.toContain('completion:a');
    expect(kinds).not.toContain('other:c');
    expect(kinds).toContain('question:c');
  });

  it('nextAttentionWorker walks distinct known workers and wraps around', () => {
    const s = deck();
    // c (question), b (question), d (needs input), a (completion); ghost is skipped.
    expect(nextAttentionWorker(s, null)).toBe('c');
    expect(nextAttentionWorker(s, 'c')).toBe('b');
    expect(nextAttentionWorker(s, 'b')).toBe('d');
    expect(nextAttentionWorker(s, 'd')).toBe('a');
    expect(nextAttentionWorker(s, 'a')).toBe('c');
    expect(nextAttentionWorker(s, 'not-in-list')).toBe('c');
  });

  it('nextAttentionWorker is null when nothing needs attention', () => {
    const s = run([added('a'), started('a')]);
    expect(nextAttentionWorker(s, null)).toBeNull();
    expect(nextAttentionWorker(received(emptyDeckState(), mail('ghost', 'question', 1)), null)).toBeNull();
  });
});

describe('open questions', () => {
  it("close when the asking worker's process ends; a worker this deck does not know never has one", () => {
    let s = run([added('a'), started('a'), added('b'), started('b')]);
    s = received(s, mail('a', 'question', 10, 'from a'));
    s = received(s, mail('b', 'question', 20, 'from b'));
    s = received(s, mail('zz', 'question', 5, 'from a stranger'));
    expect(unansweredQuestions(s).map((q) => q.content)).toEqual(['from a', 'from b']);
    expect(unansweredQuestions(s, 'zz')).toEqual([]);
    s = reduce(s, exited('a', 0));
    expect(unansweredQuestions(s).map((q) => q.content)).toEqual(['from b']);
    expect(attentionOrder(s).filter((i) => i.kind === 'question').map((i) => [i.workerId, i.live])).toEqual([['b', true]]);
    expect(attentionOrder(s).filter((i) => i.kind === 'unknown').map((i) => [i.workerId, i.count])).toEqual([['zz', 1]]);
  });
});

describe('mail from workers this deck does not know', () => {
  /** One live worker `a` with a question, and 54 questions plus a progress note from two strangers. */
  function flooded(): DeckState {
    let s = received(run([added('a'), started('a')]), mail('a', 'question', 500, 'which db?', 'qa'));
    for (let i = 0; i < 54; i++) s = received(s, { ...mail('ffff', 'question', 100 + i, `stale ${i}`), workerName: 'ghost' });
    s = received(s, mail('eeee', 'progress', 50, 'old note'), mail('eeee', 'needs-input', 60, 'signal'));
    return s;
  }

  it('is grouped per worker, oldest group first, with its questions counted and needs-input signals left out', () => {
    const groups = unknownMail(flooded());
    expect(groups.map((g) => [g.workerId, g.workerName, g.messages.length, g.questions, g.since])).toEqual([
      ['eeee', null, 1, 0, 50],
      // 54 came; the deck holds a sender's newest MAIL_KEEP (50), the rest page in from mail/cur.
      ['ffff', 'ghost', 50, 50, 104],
    ]);
    const s = flooded();
    // A dismissal covers every listed message.
    expect(groups[0]!.lastSeq).toBe(s.mail.find((m) => m.workerId === 'eeee' && m.type === 'progress')!.seq);
    expect(groups[1]!.lastSeq).toBe(s.mail.filter((m) => m.workerId === 'ffff').at(-1)!.seq);
  });

  it('counts in no question count, no unread count, and never makes Space stop', () => {
    const s = flooded();
    expect(unansweredQuestions(s).map((q) => q.id)).toEqual(['qa']);
    expect(unreadCount(s, 'ffff')).toBe(0);
    expect(nextAttentionWorker(s, null)).toBe('a');
    expect(nextAttentionWorker(s, 'a')).toBe('a');
    expect(attentionOrder(s).map((i) => `${i.kind}:${i.workerId}`)).toEqual(['question:a', 'unknown:eeee', 'unknown:ffff']);
  });

  it('mail-dismissed takes a stranger out of the attention list up to the dismissed seq; the mail itself is kept', () => {
    let s = flooded();
    const [, ffff] = unknownMail(s);
    s = reduce(s, { type: 'mail-dismissed', workerId: 'ffff', seq: ffff!.lastSeq, at: 1 });
    expect(s.dismissed).toEqual({ ffff: ffff!.lastSeq });
    expect(unknownMail(s).map((g) => g.workerId)).toEqual(['eeee']);
    expect(attentionOrder(s).map((i) => `${i.kind}:${i.workerId}`)).toEqual(['question:a', 'unknown:eeee']);
    expect(s.mail.filter((m) => m.workerId === 'ffff')).toHaveLength(50);
    expect(olderMailCount(s, 'ffff')).toBe(4);
    // A later message from the same stranger shows again, alone.
    s = received(s, mail('ffff', 'question', 900, 'still there?'));
    expect(unknownMail(s).find((g) => g.workerId === 'ffff')?.messages.map((m) => m.content)).toEqual(['still there?']);
    // A dismissal never goes backwards.
    expect(reduce(s, { type: 'mail-dismissed', workerId: 'ffff', seq: 1, at: 2 }).dismissed).toEqual(s.dismissed);
  });

  it('mail-dismissed leaves a worker of this deck alone (its mail is marked seen instead)', () => {
    const s = flooded();
    expect(reduce(s, { type: 'mail-dismissed', workerId: 'a', seq: s.nextSeq - 1, at: 1 })).toBe(s);
  });

  it("a removed worker's mail becomes a stranger's: dismissed, it leaves the unread count if the id comes back", () => {
    let s = received(run([added('a'), started('a')]), mail('a', 'progress', 10, 'p1'), mail('a', 'completion', 20, 'done'));
    s = reduce(reduce(s, exited('a', 0)), { type: 'worker-removed', id: 'a' });
    expect(unknownMail(s).map((g) => [g.workerId, g.messages.length])).toEqual([['a', 2]]);
    s = reduce(s, { type: 'mail-dismissed', workerId: 'a', seq: s.nextSeq - 1, at: 1 });
    expect(unknownMail(s)).toEqual([]);
    s = run([added('a'), started('a')], s);
    expect(unreadCount(s, 'a')).toBe(0);
  });
});

describe('mail held in memory', () => {
  it("keeps each sender's newest MAIL_KEEP messages and counts the rest, never dropping an open question", () => {
    let s = received(run([added('a'), started('a')]), mail('a', 'question', 1, 'which db?', 'q-first'));
    for (let i = 0; i < MAIL_KEEP + 30; i++) s = received(s, mail('a', 'progress', 10 + i, `note ${i}`));
    s = received(s, mail('b-stranger', 'progress', 5, 'hello'));
    const held = s.mail.filter((m) => m.workerId === 'a');
    expect(held).toHaveLength(MAIL_KEEP);
    // The open question stays; the oldest notes went.
    expect(held[0]?.id).toBe('q-first');
    expect(held[1]?.content).toBe('note 31');
    expect(held.at(-1)?.content).toBe(`note ${MAIL_KEEP + 29}`);
    expect(s.mailTotals).toEqual({ a: MAIL_KEEP + 31, 'b-stranger': 1 });
    expect(olderMailCount(s, 'a')).toBe(31);
    expect(unansweredQuestions(s).map((q) => q.id)).toEqual(['q-first']);
    // Answered, it may go with the next message.
    s = reduce(s, { type: 'operator-wrote', reply: reply('a', 500, 'q-first') });
    s = received(s, mail('a', 'progress', 600, 'after'));
    expect(s.mail.some((m) => m.id === 'q-first')).toBe(false);
  });

  it("lists what a restart reloads: each sender's newest MAIL_RELOAD and the open questions", () => {
    let s = received(run([added('a'), started('a')]), mail('a', 'question', 1, 'still open?', 'q-open'));
    for (let i = 0; i < 40; i++) s = received(s, mail('a', 'progress', 10 + i), mail('c', 'progress', 10 + i));
    const reload = mailToReload(s);
    const bySeq = new Map(s.mail.map((m) => [m.seq, m]));
    expect(reload.filter((seq) => bySeq.get(seq)?.workerId === 'c')).toHaveLength(MAIL_RELOAD);
    expect(reload.map((seq) => bySeq.get(seq)?.id)).toContain('q-open');
    expect(reload.filter((seq) => bySeq.get(seq)?.workerId === 'a')).toHaveLength(MAIL_RELOAD + 1);
    expect(reload).toEqual([...reload].sort((x, y) => x - y));
  });

  it('threads older mail paged in before what is held, once each', () => {
    const s = received(run([added('a'), started('a')]), mail('a', 'progress', 100, 'held'));
    const older = [mail('a', 'progress', 1, 'paged 1'), mail('a', 'progress', 2, 'paged 2')];
    const contents = threadOf(s, 'a', [...older, ...s.mail]).map((e) => (e.from === 'worker' ? e.message.content : ''));
    expect(contents).toEqual(['paged 1', 'paged 2', 'held']);
  });
});
