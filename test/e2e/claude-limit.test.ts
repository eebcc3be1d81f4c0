/**
 * Issue 12, usage limits: the real Claude Code CLI, signed in with an OAuth
 * token as a subscriber is, against a stand-in Messages API that refuses with
 * a usage limit. The deck (the built binary in a PTY) shows the worker
 * `limited` with the reset time, and `notify.command` hears of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeDeckFixture } from '../helpers/claude-e2e.js';
import { text } from '../helpers/fake-anthropic.js';
import { waitFor } from '../helpers/term.js';

describe('a real Claude Code worker that hits its usage limit', () => {
  let world: ClaudeDeckFixture | null = null;

  afterEach(async () => {
    await world?.close();
    world = null;
  });

  it('shows limited with the reset time, in list --json too, and runs notify.command with a limit event', async () => {
    world = new ClaudeDeckFixture();
    const w = world;
    const notified = path.join(w.home.dir, 'notified.jsonl');
    w.writeConfig({ notify: { command: `cat >> '${notified}'` } });
    // Claude prints the reset to the minute, in the process's zone.
    w.agentEnv = { TZ: 'UTC' };
    const resetAt = Math.floor(Date.now() / 60_000) * 60 + 3 * 3600;
    const d = await w.open(() => text('Hello.'), ['--agent', 'claude', '--skip-permissions'], 'oauth');
    w.fake!.usageLimit = { resetAt };
    const screen = w.describe;
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('Tidy the docs');
    d.type('\r');

    const hhmm = new Date(resetAt * 1000).toISOString().slice(11, 16);
    await waitFor(() => /tidy-the-docs\s+claude\s+limited/.test(d.screen()), 'the row to say limited', 60_000, screen);
    const [worker] = w.list();
    expect(worker?.limit).toMatchObject({ resetAt: resetAt * 1000, resumesItself: true });
    expect(worker?.limit?.text).toMatch(/limit/);
    const events = await waitFor(
      () => {
        const lines = existsSync(notified) ? readFileSync(notified, 'utf8').trim().split('\n').filter(Boolean) : [];
        const parsed = lines.map((l) => JSON.parse(l) as { event: string; worker: { name: string }; text: string });
        return parsed.some((e) => e.event === 'limit') ? parsed : null;
      },
      'notify.command to hear of the limit',
      15_000,
      screen,
    );
    expect(events?.filter((e) => e.event === 'limit')).toEqual([expect.objectContaining({ worker: expect.objectContaining({ name: 'tidy-the-docs' }) })]);
    // The details view says why.
    d.type('i');
    await d.waitForText(/limited: its agent hit a usage limit/);
    expect(d.screen()).toContain(`(resets ${hhmm}; its agent continues by`);
  });
});
