import { renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDeckState } from '../../src/core/deck-state.js';
import { Registry } from '../../src/registry/registry.js';
import { prepareStateDir } from '../../src/registry/state-dir.js';
import { tempDir } from '../helpers/git-repo.js';

let dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

describe('a registry whose writes fail', () => {
  it('warns once per failing file, even when each warning is itself saved (as the deck does), so a dead state dir cannot keep the deck busy', async () => {
    const home = tempDir('wd-regfail-');
    dirs.push(home);
    const dir = path.join(home.dir, 'state');
    const layout = await prepareStateDir(dir);
    const reports: string[] = [];
    // The deck's onError: a warning is an event, which is saved and logged, which can fail again.
    const registry: Registry = new Registry(
      layout.stateFile,
      layout.eventsFile,
      (message) => {
        reports.push(message);
        registry.save(emptyDeckState());
        registry.appendEvent('warning', { text: message });
      },
      1,
    );
    renameSync(dir, `${dir}-moved`);
    registry.save(emptyDeckState());
    registry.appendEvent('worker-added', {});
    for (let round = 0; round < 20; round++) await registry.flush();
    expect(reports.filter((m) => m.startsWith('Cannot save state.json'))).toHaveLength(1);
    expect(reports.filter((m) => m.startsWith('Cannot append to events.jsonl'))).toHaveLength(1);
    expect(reports).toHaveLength(2);

    // Once writes work again, a new failure is reported again.
    renameSync(`${dir}-moved`, dir);
    registry.save(emptyDeckState());
    registry.appendEvent('worker-added', {});
    await registry.flush();
    // No new failure; at most the notice that writing works again.
    expect(reports.filter((m) => m.startsWith('Cannot'))).toHaveLength(2);
    expect(reports.slice(2).every((m) => /works again/.test(m))).toBe(true);
    renameSync(dir, `${dir}-moved`);
    registry.save(emptyDeckState());
    await registry.flush();
    await registry.flush();
    expect(reports.filter((m) => m.startsWith('Cannot save state.json'))).toHaveLength(2);
  });
});
