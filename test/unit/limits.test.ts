import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeConfig, watchdogFor } from '../../src/agents/config.js';
import { parseConfigText } from '../../src/agents/config-schema.js';
import { CLAUDE_LIMIT_RULES } from '../../src/agents/claude.js';
import { CODEX_LIMIT_RULES } from '../../src/agents/codex.js';
import type { LimitRule } from '../../src/core/limit-detect.js';
import { notifyEvents, type NotifyEvent } from '../../src/core/notify.js';
import { statusLabel } from '../../src/core/worker.js';
import { fakeSpawner, type FakePty } from '../../src/pty/fake-pty.js';
import { LimitWatch, RESET_GRACE_MS } from '../../src/server/limits.js';
import { Watchdog } from '../../src/server/watchdog.js';
import { commandPreset } from '../../src/agents/shell.js';
import { makeDeck, request } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CODEX_LIMIT = "■ You've hit your usage limit. Visit https://chatgpt.com/settings/usage to purchase more credits or try again in 2 hours.\r\n";

/**
 * A deck on a FakePty whose preset has `rules` as its limit rules, a
 * hand-moved clock, a LimitWatch and a Watchdog checked by hand, and every
 * notification the deck's events give.
 */
async function rig(configText: string, rules: LimitRule[] = CODEX_LIMIT_RULES) {
  const cwd = tempDir('wd-limit-cwd-');
  const state = tempDir('wd-limit-state-');
  cleanups.push(() => cwd.cleanup(), () => state.cleanup());
  let now = Date.UTC(2026, 10, 30, 21, 0);
  const spawner = fakeSpawner();
  // CHECKPOINT on screen shows as needs input: a test's sign that the deck has read the screen since.
  const preset = { ...commandPreset('agent', { command: '/bin/sh' }), limitRules: rules, promptRules: [{ pattern: /CHECKPOINT/, reason: 'checkpoint' }] };
  const presets = new Map([['agent', preset]]);
  const { deck, layout } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets, now: () => now });
  const config = mergeConfig(parseConfigText('config.json', configText), null, ['config.json']);
  const specFor = (w: Parameters<typeof watchdogFor>[2] & { agent: string; watchdog?: { timeout?: number; idleTimeout?: number } }) =>
    watchdogFor(config, w.agent, w.watchdog);
  const watch = new LimitWatch(deck, { specFor, nudgeFor: () => 'go on', now: () => now, tickMs: 0 });
  const dog = new Watchdog(deck, { specFor, nudgeFor: () => 'go on', now: () => now, tickMs: 0 });
  cleanups.push(() => watch.dispose(), () => dog.dispose());
  const notified: NotifyEvent[] = [];
  deck.subscribe((after, event) => notified.push(...notifyEvents(before, after, event, now)));
  let before = deck.getState();
  deck.subscribe((after) => (before = after));
  const worker = await deck.spawn(request({ agent: 'agent', name: 'w' }));
  const pty = spawner.spawned[0] as FakePty;
  const limit = () => deck.getState().workers[worker.id]?.limit ?? null;
  const events = () =>
    readFileSync(layout.eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>)
      .filter((e) => e.type.startsWith('limit-'));
  return { deck, watch, dog, pty, id: worker.id, limit, events, notified, now: () => now, advance: (ms: number) => (now += ms) };
}

describe('usage limits', () => {
  it('shows limited with the reset time, logs and notifies it, and does not count the wait as idle', async () => {
    const { deck, dog, pty, id, limit, events, notified, now, advance } = await rig('{"idleTimeout": 60}');
    pty.emitData(CODEX_LIMIT);
    await waitFor(() => limit() !== null, 'the limit to be seen');
    expect(limit()).toMatchObject({ resetAt: now() + 2 * 3_600_000, resumesItself: false });
    expect(limit()?.text).toMatch(/^You've hit your usage limit\..*try again in 2 hours/);
    const worker = deck.getState().workers[id];
    expect(worker && statusLabel(worker)).toBe('limited');
    await waitFor(() => events().length === 1, 'the limit in events.jsonl');
    expect(events()).toEqual([expect.objectContaining({ type: 'limit-reached', id })]);
    expect(notified.filter((n) => n.event === 'limit')).toEqual([
      expect.objectContaining({ event: 'limit', worker: expect.objectContaining({ name: 'w' }), text: expect.stringContaining('try again in 2 hours') }),
    ]);
    advance(3_600_000);
    dog.check();
    expect(pty.signals).toEqual([]);
  });

  it('with resumeAfterLimit nudges the worker a minute after the reset, once, and does not take the same text again', async () => {
    const { deck, watch, pty, id, limit, events, advance } = await rig('{"resumeAfterLimit": true}');
    pty.emitData(CODEX_LIMIT);
    await waitFor(() => limit() !== null, 'the limit to be seen');
    advance(2 * 3_600_000 + RESET_GRACE_MS - 1);
    watch.check();
    expect(limit()).not.toBeNull();
    advance(1);
    watch.check();
    expect(limit()).toBeNull();
    await waitFor(() => deck.getState().replies.some((r) => r.kind === 'nudge' && r.workerId === id), 'the nudge');
    expect(pty.writes.join('')).toContain('go on');
    await waitFor(() => events().length === 2, 'the end in events.jsonl');
    expect(events().map((e) => [e.type, e['resumed']])).toEqual([
      ['limit-reached', undefined],
      ['limit-ended', true],
    ]);
    // The old message is still on screen: it is not a new limit.
    pty.emitData('still the same screen CHECKPOINT\r\n');
    await waitFor(() => deck.getState().workers[id]?.needsInput?.reason === 'checkpoint', 'the deck to read the screen');
    expect(limit()).toBeNull();
    // A new message is.
    pty.emitData(CODEX_LIMIT.replace('2 hours', '3 hours'));
    await waitFor(() => limit() !== null, 'the second limit to be seen');
  });

  it('without resumeAfterLimit ends the limit at the reset without typing anything', async () => {
    const { watch, pty, limit, advance } = await rig('{}');
    pty.emitData(CODEX_LIMIT);
    await waitFor(() => limit() !== null, 'the limit to be seen');
    const typed = pty.writes.length;
    advance(2 * 3_600_000 + RESET_GRACE_MS);
    watch.check();
    expect(limit()).toBeNull();
    expect(pty.writes.length).toBe(typed);
  });

  it('never nudges an agent that resumes by itself (Claude Code), even with resumeAfterLimit', async () => {
    const { watch, pty, limit, advance } = await rig('{"resumeAfterLimit": true}', CLAUDE_LIMIT_RULES);
    pty.emitData("  ⎿  You've hit your 5-hour limit · resets in 30 minutes\r\n  Continuing automatically at 9:30pm · Esc to cancel\r\n");
    await waitFor(() => limit() !== null, 'the limit to be seen');
    expect(limit()?.resumesItself).toBe(true);
    const typed = pty.writes.length;
    advance(30 * 60_000 + RESET_GRACE_MS);
    watch.check();
    expect(limit()).toBeNull();
    expect(pty.writes.length).toBe(typed);
  });

  it("ends when Claude's live line leaves the screen, and does not take the limit again from the transcript line left above", async () => {
    const { pty, limit, deck, id } = await rig('{}', CLAUDE_LIMIT_RULES);
    const transcriptLine = "  ⎿  You've hit your 5-hour limit · resets in 30 minutes\r\n";
    pty.emitData(`${transcriptLine}❯ \r\n  ⚠ Usage limit reached · limit resets in 30 minutes\r\n    Continuing automatically at 9:30pm · Esc to cancel\r\n`);
    // The prompt's line is the newest: it is the limit once the deck has read the whole screen.
    await waitFor(() => limit()?.text === 'Usage limit reached · limit resets in 30 minutes', 'the limit to be seen');
    // The operator nudged it and it went on: the prompt's limit line is gone, the transcript's stays.
    pty.emitData(`\u001b[2J\u001b[H${transcriptLine}● Working again CHECKPOINT\r\n`);
    await waitFor(() => deck.getState().workers[id]?.needsInput?.reason === 'checkpoint', 'the deck to read the screen');
    expect(limit()).toBeNull();
  });

  it('ends when the screen no longer shows it (the agent went on)', async () => {
    const { pty, limit, events } = await rig('{}');
    pty.emitData(CODEX_LIMIT);
    await waitFor(() => limit() !== null, 'the limit to be seen');
    pty.emitData('\u001b[2J\u001b[Hworking on it\r\n');
    await waitFor(() => limit() === null, 'the limit to end');
    await waitFor(() => events().length === 2, 'the end in events.jsonl');
    expect(events().map((e) => [e.type, e['resumed']])).toEqual([
      ['limit-reached', undefined],
      ['limit-ended', false],
    ]);
  });
});
