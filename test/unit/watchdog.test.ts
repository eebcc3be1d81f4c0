import { afterEach, describe, expect, it } from 'vitest';
import { mergeConfig, watchdogFor } from '../../src/agents/config.js';
import { parseConfigText } from '../../src/agents/config-schema.js';
import type { MailMessage, MailType } from '../../src/core/mail.js';
import { fakeSpawner, type FakePty } from '../../src/pty/fake-pty.js';
import { Watchdog } from '../../src/server/watchdog.js';
import type { Deck, SpawnRequest } from '../../src/deck.js';
import { makeDeck, request, testPresets } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A deck on FakePtys with a hand-moved clock and a watchdog checked by hand (no timer). */
async function rig(configText: string, spawn: Partial<SpawnRequest> = {}) {
  const cwd = tempDir('wd-wdog-cwd-');
  const state = tempDir('wd-wdog-state-');
  cleanups.push(() => cwd.cleanup(), () => state.cleanup());
  let now = 1_000_000;
  const spawner = fakeSpawner();
  const { deck } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets({ custom: { command: '/bin/sh' } }), now: () => now });
  const config = mergeConfig(parseConfigText('config.json', configText), null, ['config.json']);
  const dog = new Watchdog(deck, { specFor: (w) => watchdogFor(config, w.agent, w.watchdog), nudgeFor: () => 'go on', now: () => now, tickMs: 0 });
  cleanups.push(() => dog.dispose());
  const worker = await deck.spawn(request({ agent: 'custom', name: 'w', ...spawn }));
  const pty = spawner.spawned[0] as FakePty;
  return { deck, dog, pty, id: worker.id, advance: (ms: number) => (now += ms) };
}

let mailId = 0;
function mail(workerId: string, type: MailType, content: string, seq: number): MailMessage {
  return { id: `m${++mailId}`, workerId, workerName: 'w', type, content, timestamp: 1_000_000, inReplyTo: null, seq };
}

async function ended(deck: Deck, id: string): Promise<void> {
  await waitFor(() => !deck.isRunning(id), 'the worker to end');
}

describe('Watchdog', () => {
  it('fails a worker with no output and no mail for idleTimeout seconds, with the reason', async () => {
    const { deck, dog, pty, id, advance } = await rig('{"idleTimeout": 3}');
    advance(2000);
    dog.check();
    expect(pty.signals).toEqual([]);
    // Output restarts the idle clock.
    pty.emitData('still here\r\n');
    await waitFor(() => deck.getState().workers[id]?.activity === 'busy', 'the output to be seen');
    await deck.screen(id)?.flush();
    advance(2000);
    dog.check();
    expect(pty.signals).toEqual([]);
    // So does mail.
    deck.receiveMail(mail(id, 'progress', 'half way', deck.nextSeq()));
    advance(2999);
    dog.check();
    expect(pty.signals).toEqual([]);
    advance(1);
    dog.check();
    expect(pty.signals[0]).toBe('SIGTERM');
    pty.emitExit({ exitCode: null, signal: 15 });
    await ended(deck, id);
    expect(deck.getState().workers[id]).toMatchObject({ status: 'failed', reason: 'idle: no output and no mail for 3 s (idleTimeout)' });
  });

  it('does not count a worker waiting on the operator as idle', async () => {
    const { deck, dog, pty, id, advance } = await rig('{"idleTimeout": 3}');
    deck.receiveMail(mail(id, 'question', 'which port?', deck.nextSeq()));
    advance(60_000);
    dog.check();
    expect(pty.signals).toEqual([]);
  });

  it('fails on the wall-clock timeout of the spawn, which wins over the config', async () => {
    const { deck, dog, pty, id, advance } = await rig('{"timeout": 100}', { timeout: 5 });
    pty.emitData('busy\r\n');
    advance(5000);
    dog.check();
    expect(pty.signals[0]).toBe('SIGTERM');
    pty.emitExit({ exitCode: null, signal: 15 });
    await ended(deck, id);
    expect(deck.getState().workers[id]).toMatchObject({ status: 'failed', reason: 'timed out: running for 5 s (timeout)' });
  });

  it('with onTimeout "nudge" types the nudge instead and keeps the worker running', async () => {
    const { deck, dog, pty, id, advance } = await rig('{"presets": {"custom": {"idleTimeout": 2, "onTimeout": "nudge"}}}');
    advance(2000);
    dog.check();
    await waitFor(() => deck.getState().replies.some((r) => r.kind === 'nudge' && r.workerId === id), 'the nudge');
    expect(pty.writes.join('')).toContain('go on');
    expect(pty.signals).toEqual([]);
    expect(deck.isRunning(id)).toBe(true);
    expect(deck.getState().warnings.at(-1)?.text).toMatch(/w idle: .*nudged it/);
  });

  it('is off when no limit is set', async () => {
    const { dog, pty, advance } = await rig('{}');
    advance(24 * 3600_000);
    dog.check();
    expect(pty.signals).toEqual([]);
  });

  it('recalls a question left unanswered for remindAfter seconds, again every period, and not once answered', async () => {
    const { deck, dog, id, advance } = await rig('{"remindAfter": 600}');
    const q = mail(id, 'question', 'which port should I use?', deck.nextSeq());
    deck.receiveMail(q);
    const reminders = () => deck.getState().warnings.filter((w) => w.text.startsWith("w's question has waited")).map((w) => w.text);
    advance(599_000);
    dog.check();
    expect(reminders()).toEqual([]);
    advance(1000);
    dog.check();
    expect(reminders()).toEqual(["w's question has waited 600 s for an answer (r replies): which port should I use?"]);
    dog.check();
    expect(reminders()).toHaveLength(1);
    advance(600_000);
    dog.check();
    expect(reminders()).toHaveLength(2);
    await deck.type(id, '8080', 'reply', q.id);
    advance(600_000);
    dog.check();
    expect(reminders()).toHaveLength(2);
  });
});

