import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/term.js';
import { deckFixture } from '../helpers/e2e.js';

describe('mail, as a user sees it (built binary at 120x40)', () => {
  const f = deckFixture();
  const open = () => f.open();
  const workers = () => f.list();

  it('runs the question loop: ask, reply with r, complete', async () => {
    const d = open();
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('workerdeck mail ask "Which colour?"; read a; workerdeck mail complete "colour is $a"');
    d.type('\t');
    d.type('colour');
    d.type('\r');
    await d.waitForText('? colour: Which colour?');
    await d.waitForText(/\? colour\s+shell\s+asking/);
    // The terminal title and the bell announce the question.
    expect(d.raw).toContain('\u001b]0;workerdeck: 1 question\u0007');
    // A bell of its own: more BEL bytes than the title sequences that end in one.
    const bells = d.raw.split('\u0007').length - 1;
    const titles = d.raw.split('\u001b]0;').length - 1;
    expect(bells).toBeGreaterThan(titles);
    d.type('r');
    await d.waitForText('Reply to colour');
    d.type('blue');
    d.type('\r');
    await d.waitForText('colour is blue');
    await d.waitForText(/colour\s+shell\s+completed/);
    await d.waitForText('you replied');
    // The reply is in the audit log with the question it answers.
    const events = readFileSync(path.join(f.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const question = events.find((e) => e.type === 'mail-received' && e.message.type === 'question');
    const reply = events.find((e) => e.type === 'operator-wrote');
    for (const e of events) expect(e.at, JSON.stringify(e)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['worker-added', 'worker-started', 'mail-received', 'operator-wrote']));
    expect(reply?.inReplyTo).toBe(question?.message.id);
    expect(reply?.reply.content).toBe('blue');
    d.type('q');
    await d.waitForExit();
  });

  it('shows the reference format, refuses a malformed file, and keeps unread mail across a restart without repeats', async () => {
    const d = open();
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('\trefactor-auth\r');
    await waitFor(() => workers()[0]?.status === 'running', 'a running worker', 15_000, () => d.screen());
    const workerId = workers()[0]?.id ?? '';
    const reference = {
      id: '6f1c0a2e-8d7b-4a51-9f3e-2b1c4d5e6f70',
      workerId,
      workerName: 'refactor-auth',
      type: 'completion',
      content: 'Auth done; \u001b[31mtests\u001b[0m pass.',
      timestamp: '2025-01-15T10:35:00.000Z',
    };
    const tmp = path.join(f.stateDir, 'mail', 'tmp', '1736937300000-6f1c0a2e.json');
    writeFileSync(tmp, JSON.stringify(reference));
    // Every screen that shows the message: the selected worker's mail is seen in the frame that first shows it.
    const showing: string[] = [];
    const off = d.onParsed(() => {
      const screen = d.screen();
      if (screen.includes('Auth done; tests pass.')) showing.push(screen);
    });
    renameSync(tmp, path.join(f.stateDir, 'mail', 'new', '1736937300000-6f1c0a2e.json'));
    await d.waitForText('Auth done; tests pass.');
    off();
    expect(showing.length).toBeGreaterThan(0);
    for (const screen of showing) expect(screen).not.toMatch(/refactor-auth.*✉/);
    await d.waitForText(/refactor-auth\s+shell\s+completed/);

    const bad = path.join(f.stateDir, 'mail', 'tmp', 'broken.json');
    writeFileSync(bad, '{"id": "x", "type": "shout"');
    renameSync(bad, path.join(f.stateDir, 'mail', 'new', 'broken.json'));
    await d.waitForText(/Bad mail broken\.json moved to mail\/bad/);
    expect(existsSync(path.join(f.stateDir, 'mail', 'bad', 'broken.json'))).toBe(true);
    expect(readFileSync(path.join(f.stateDir, 'mail', 'bad', '.reasons', 'broken.json'), 'utf8')).toMatch(/JSON/);
    expect(d.exit).toBeNull();

    // Mail from a worker this deck does not know: marked, left out of the question count, and dismissable.
    const stray = path.join(f.stateDir, 'mail', 'tmp', 'stray.json');
    writeFileSync(stray, JSON.stringify({ ...reference, id: 'stray-1', workerId: 'ffff', workerName: 'ghost', type: 'question', content: 'Anyone there?' }));
    renameSync(stray, path.join(f.stateDir, 'mail', 'new', 'stray.json'));
    await d.waitForText('⚠ unknown worker ffff (ghost)');
    await d.waitForText('press X to dismiss 1 message');
    // No title with a question count, and no bell: a reply can never reach that worker.
    expect(d.raw).not.toContain('\u001b]0;workerdeck: 1 question');
    expect(d.raw).not.toContain('\u0007');
    d.type(' ');
    await d.waitForText('Nothing needs you but 1 message from unknown worker ffff (ghost), which no reply can reach. X dismisses it.');
    d.type('X');
    await d.waitForText('Dismissed 1 message from unknown worker ffff (ghost); the files stay in mail/cur.');
    await waitFor(() => !d.screen().includes('⚠ unknown worker'), 'the dismissed mail to leave the panel', 15_000, () => d.screen());
    expect(readdirSync(path.join(f.stateDir, 'mail', 'cur')).filter((n) => n.endsWith('_stray.json'))).toHaveLength(1);

    d.type('q');
    await d.waitForExit();
    const handled = readdirSync(path.join(f.stateDir, 'mail', 'cur'));
    expect(handled).toHaveLength(2);
    expect(readdirSync(path.join(f.stateDir, 'mail', 'new'))).toHaveLength(0);
    const strayName = handled.find((n) => n.endsWith('_stray.json')) ?? '';
    const straySeq = Number(strayName.slice(0, strayName.indexOf('_')));
    const events = readFileSync(path.join(f.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'mail-dismissed').map((e) => [e.workerId, e.seq])).toEqual([['ffff', straySeq]]);
    expect(JSON.parse(readFileSync(path.join(f.stateDir, 'state.json'), 'utf8')).dismissed).toEqual({ ffff: straySeq });
    // A new server reads the handled mail back.
    f.cli(['kill-server', '--yes']);

    // After a restart the dismissed mail stays dismissed; its file stays in mail/cur.
    const again = open();
    await again.waitForText('q quit');
    await again.waitForText('Auth done; tests pass.');
    expect(again.screen()).not.toContain('unknown worker');
    const screen = again.screen();
    expect(screen.split('Auth done; tests pass.').length - 1).toBe(1);
    expect(readdirSync(path.join(f.stateDir, 'mail', 'cur'))).toHaveLength(2);
    again.type('q');
    await again.waitForExit();
  });
});
