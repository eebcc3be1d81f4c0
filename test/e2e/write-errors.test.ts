import { mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processGone } from '../helpers/deck.js';
import { describe, expect, it } from 'vitest';
import { buildMail } from '../../src/core/mail.js';
import { deckFixture, serverPid } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';

/**
 * A real write error without a seam: `events.jsonl` is made a directory, so
 * every append fails with EISDIR (permissions would not stop root).
 */
describe('write errors, as a user sees them (built binary at 120x40)', () => {
  const f = deckFixture();
  const eventsFile = () => path.join(f.stateDir, 'events.jsonl');

  async function spawnAlpha(d: ReturnType<typeof f.open>): Promise<string> {
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('\talpha\r');
    await waitFor(() => f.list()[0]?.status === 'running', 'a running worker', 15_000, () => d.screen());
    return f.list()[0]?.id ?? '';
  }

  /** Q, y: the TUI exits 0, and the server is gone. */
  async function stopServerWithQ(d: ReturnType<typeof f.open>): Promise<void> {
    const server = serverPid(f.stateDir) ?? 0;
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    const exit = await d.waitForExit();
    expect(exit.exitCode).toBe(0);
    await waitFor(() => processGone(server), 'the server to stop', 10_000);
  }

  it('warns, keeps running, and writes every held line once the disk works again', async () => {
    mkdirSync(eventsFile(), { recursive: true });
    const d = f.open();
    const id = await spawnAlpha(d);
    // The warning flashes, and stays in the warnings overlay (a later message may replace the flash).
    d.type('w');
    await d.waitForText('Cannot append to events.jsonl (EISDIR');
    d.type('w');
    await waitFor(() => !d.screen().includes('Warnings ('), 'the overlay to close', 5000, () => d.screen());
    // The deck keeps running: mail still arrives and shows.
    const tmp = path.join(f.stateDir, 'mail', 'tmp', 'note.json');
    writeFileSync(tmp, JSON.stringify(buildMail({ id: 'note-1', workerId: id, type: 'progress', content: 'half way there', now: Date.now() })));
    renameSync(tmp, path.join(f.stateDir, 'mail', 'new', 'note.json'));
    await d.waitForText('half way there');
    // The disk "recovers": the retry writes the held lines.
    rmdirSync(eventsFile());
    await d.waitForText('Writing events.jsonl works again; nothing was lost.', 20_000);
    await stopServerWithQ(d);
    const types = readFileSync(eventsFile(), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.slice(0, 2)).toEqual(['worker-added', 'worker-started']);
    for (const type of ['worker-added', 'worker-started', 'mail-received', 'worker-exited']) {
      expect(types.filter((t) => t === type), type).toHaveLength(1);
    }
    expect(types.indexOf('mail-received')).toBeGreaterThan(types.indexOf('worker-started'));
    expect(types).toContain('warning');
  });

  it('stops the server within its bounded flush when the disk stays broken, and logs what was not written', async () => {
    mkdirSync(eventsFile(), { recursive: true });
    const d = f.open();
    await spawnAlpha(d);
    // The warning flashes, and stays in the warnings overlay (a later message may replace the flash).
    d.type('w');
    await d.waitForText('Cannot append to events.jsonl (EISDIR');
    d.type('w');
    await waitFor(() => !d.screen().includes('Warnings ('), 'the overlay to close', 5000, () => d.screen());
    // The server stops within its deadline all the same, and its log says what was not written.
    await stopServerWithQ(d);
    expect(readFileSync(path.join(f.stateDir, 'server.log'), 'utf8')).toContain(
      `the last changes could not be written to ${f.stateDir} (events.jsonl: EISDIR)`,
    );
  });
});
