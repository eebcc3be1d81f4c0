import { afterEach, describe, expect, it } from 'vitest';
import { MirrorPool } from '../../src/pty/mirror-pool.js';
import type { ScreenSwitch } from '../../src/pty/types.js';

// The thread runs dist/pty/mirror-thread.js: `npm test` builds first.
describe('MirrorPool screen switches (real worker thread)', () => {
  let pool: MirrorPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('reports switches from the thread in order, and the active screen without a switch', async () => {
    pool = new MirrorPool();
    const mirror = pool.create(20, 4);
    const seen: (ScreenSwitch | null)[] = [];
    mirror.watchSwitches((change) => seen.push(change));
    mirror.write('shell$ \u001b[?1049hPAGER\u001b[?10');
    mirror.write('49lback');
    await mirror.flush();
    expect(seen.map((s) => s?.alt)).toEqual([true, false]);
    expect(seen[0]?.screen).not.toContain('PAGER');
    expect(seen[1]?.screen).toContain('shell$');
    expect(seen[1]?.screen).not.toContain('back');
    mirror.write('\u001b[?1049h\u001b[HPAGER AGAIN');
    const active = await mirror.serializeActive();
    expect(active).toContain('PAGER AGAIN');
    expect(active).not.toContain('shell$');
    expect(active).not.toContain('?1049');
    expect(seen).toHaveLength(3);
    mirror.dispose();
  });

  it('gives a new watcher no switch that the thread found for the one before', async () => {
    pool = new MirrorPool();
    const mirror = pool.create(20, 4);
    const first: ScreenSwitch[] = [];
    const second: ScreenSwitch[] = [];
    mirror.watchSwitches((change) => change && first.push(change));
    mirror.write('\u001b[?1049h');
    // Re-watch before the thread's report comes back: that report belongs to the first watcher's stream.
    mirror.watchSwitches(null);
    mirror.watchSwitches((change) => change && second.push(change));
    mirror.write('x\u001b[?1049l');
    await mirror.flush();
    expect(first).toEqual([]);
    expect(second.map((s) => s.alt)).toEqual([false]);
    mirror.dispose();
  });
});
