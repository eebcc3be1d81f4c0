import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deckFixture } from '../helpers/e2e.js';
import type { DeckTerminal } from '../helpers/term.js';

/** The process's command line as `ps` shows it (meow, and the quick path, set the title). */
const commandLine = (d: DeckTerminal) => readFileSync(`/proc/${d.pty.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();

describe('start-up without meow (built binary at 120x40)', () => {
  const f = deckFixture();

  it('draws the same first frame, under the same process title, as a command line meow parses', async () => {
    // `--no-skip-permissions` means what leaving it out means, but only meow parses it.
    const quick = f.open(['--agent', 'shell']);
    await quick.waitForText('q quit');
    await quick.waitForText('workerdeck');
    const viaMeow = f.open(['--agent', 'shell', '--no-skip-permissions']);
    await viaMeow.waitForText('q quit');
    await viaMeow.waitForText('workerdeck');
    expect(viaMeow.screen()).toBe(quick.screen());
    expect(quick.screen()).toMatch(/workerdeck[\s\S]*q quit/);
    if (process.platform === 'linux') {
      expect(commandLine(quick)).toMatch(/^workerdeck/);
      expect(commandLine(quick)).toBe(commandLine(viaMeow));
    }
    // The same spawn form defaults: the agent from --agent, skip-permissions off.
    for (const d of [quick, viaMeow]) d.type('n');
    await quick.waitForText('Spawn a worker');
    await viaMeow.waitForText('Spawn a worker');
    expect(viaMeow.screen()).toBe(quick.screen());
    expect(quick.screen()).toContain('shell');
  });
});
