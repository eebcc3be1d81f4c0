/**
 * The real mirror thread: MirrorPool from src/ starts dist/pty/mirror-thread.js
 * (built by `npm run build`, which `npm test` runs first), as the server does.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MirrorPool } from '../../src/pty/mirror-pool.js';
import type { MirrorHandle } from '../../src/pty/types.js';
import { ROOT } from '../helpers/term.js';

const THREAD = path.join(ROOT, 'dist', 'pty', 'mirror-thread.js');

beforeAll(() => {
  if (!existsSync(THREAD)) throw new Error(`${THREAD} is missing: run "npm run build" before the integration tests.`);
});

const pools: MirrorPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

/** A pool on the real thread, failing the test on any thread error. */
function realPool(): MirrorPool {
  const pool = new MirrorPool((error) => {
    throw error;
  });
  pools.push(pool);
  return pool;
}

/** Write `data` and resolve once the thread acknowledged its parse. */
function written(mirror: MirrorHandle, data: string): Promise<void> {
  return new Promise((resolve) => mirror.write(data, resolve));
}

describe('MirrorPool on the real mirror thread', () => {
  it('parses coloured output into styled and plain rows, and caches the last read', async () => {
    const mirror = realPool().create(20, 4);
    await written(mirror, '\u001b[31mred\u001b[0m hello\r\nsecond');
    expect(await mirror.textRows()).toEqual(['red hello', 'second', '', '']);
    const styled = await mirror.readRows(0);
    expect(styled).toHaveLength(4);
    expect(styled[0]).toMatch(/\u001b\[[0-9;]*31[0-9;]*mred/);
    expect(styled[0]!.replace(/\u001b\[[0-9;]*m/g, '')).toBe(`red hello${' '.repeat(11)}`);
    expect(mirror.cachedRows(0)).toEqual(styled);
    expect(mirror.cachedRows(1)).toBeNull();
  });

  it('reports bracketed paste and scrollback as of the last parsed write', async () => {
    const mirror = realPool().create(20, 4);
    expect(mirror.bracketedPaste).toBe(false);
    await written(mirror, '\u001b[?2004h');
    expect(mirror.bracketedPaste).toBe(true);
    await written(mirror, Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\r\n'));
    expect(mirror.scrollbackLength).toBe(6);
    expect(await mirror.textRows()).toEqual(['line 7', 'line 8', 'line 9', 'line 10']);
    expect((await mirror.readRows(2)).map((row) => row.replace(/\u001b\[[0-9;]*m/g, '').trimEnd())).toEqual([
      'line 5',
      'line 6',
      'line 7',
      'line 8',
    ]);
    await written(mirror, '\u001b[?2004l');
    expect(mirror.bracketedPaste).toBe(false);
  });

  it('keeps each mirror apart, resizes one, serialises it, and forgets it once disposed', async () => {
    const pool = realPool();
    const a = pool.create(20, 4);
    const b = pool.create(30, 3);
    await Promise.all([written(a, 'alpha'), written(b, 'beta')]);
    expect((await a.textRows())[0]).toBe('alpha');
    expect((await b.textRows())[0]).toBe('beta');
    b.resize(40, 6);
    expect([b.cols, b.rows]).toEqual([40, 6]);
    expect(await b.textRows()).toHaveLength(6);
    expect((await b.readRows(0))[0]!.replace(/\u001b\[[0-9;]*m/g, '')).toHaveLength(40);
    expect(await a.serialize()).toContain('alpha');
    a.dispose();
    expect(await a.textRows()).toEqual([]);
    expect((await b.textRows())[0]).toBe('beta');
  });
});
