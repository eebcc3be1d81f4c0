/**
 * MirrorPool when its thread fails or is closed: writes must still count as
 * parsed (flow control would otherwise hold their PTYs paused forever) and
 * reads must resolve. The threads here are tiny stand-ins written to a temp
 * dir, so these tests need no build; the real mirror thread is tested in
 * test/integration/mirror-pool.test.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MirrorPool } from '../../src/pty/mirror-pool.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

const dirs: { cleanup: () => void }[] = [];
const pools: MirrorPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

/** A pool whose thread is `source` (an ES module), and the errors it reported. */
function poolWith(source: string): { pool: MirrorPool; errors: Error[] } {
  const dir = tempDir('wd-mirror-thread-');
  dirs.push(dir);
  const file = path.join(dir.dir, 'thread.mjs');
  writeFileSync(file, source);
  const errors: Error[] = [];
  const pool = new MirrorPool((error) => errors.push(error), file);
  pools.push(pool);
  return { pool, errors };
}

/** Tracks whether a promise has settled, for waiting on it with a deadline. */
function settled<T>(promise: Promise<T>): { done: boolean; value: T | undefined } {
  const state = { done: false, value: undefined as T | undefined };
  void promise.then((value) => {
    state.value = value;
    state.done = true;
  });
  return state;
}

describe('MirrorPool when its thread fails', () => {
  it('reports a thread that cannot start, counts writes as parsed and reads as empty', async () => {
    const { pool, errors } = poolWith("throw new Error('no mirrors today');\n");
    const mirror = pool.create(20, 4);
    await waitFor(() => errors.length > 0, 'the pool to report the failed thread');
    expect(errors.map((e) => e.message)).toEqual(['no mirrors today']);
    let parsed = false;
    mirror.write('hello', () => (parsed = true));
    expect(parsed).toBe(true);
    expect(await mirror.textRows()).toEqual([]);
    expect(await mirror.readRows(0)).toEqual([]);
    expect(await mirror.serialize()).toBe('');
  });

  it('releases writes still waiting for their parse and reads still waiting for a reply when the thread dies', async () => {
    // Acknowledges nothing, and dies on the first read.
    const { pool, errors } = poolWith(
      "import { parentPort } from 'node:worker_threads';\n" +
        "parentPort.on('message', (m) => { if (m.t === 'rows') throw new Error('died mid-read'); });\n",
    );
    const mirror = pool.create(20, 4);
    const parsed: string[] = [];
    mirror.write('one', () => parsed.push('one'));
    mirror.write('two', () => parsed.push('two'));
    expect(parsed).toEqual([]);
    const rows = settled(mirror.textRows());
    await waitFor(() => rows.done, 'the read to resolve after the thread died');
    expect(rows.value).toEqual([]);
    expect(parsed).toEqual(['one', 'two']);
    expect(errors.map((e) => e.message)).toEqual(['died mid-read']);
  });
});

describe('MirrorPool.close', () => {
  it('releases pending writes and reads of a thread that never answers, and later ones too', async () => {
    const { pool, errors } = poolWith("import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n");
    const mirror = pool.create(20, 4);
    let parsed = 0;
    mirror.write('pending', () => parsed++);
    const rows = settled(mirror.textRows());
    const serialized = settled(mirror.serialize());
    await pool.close();
    await waitFor(() => rows.done && serialized.done, 'the reads to resolve after close');
    expect(rows.value).toEqual([]);
    expect(serialized.value).toBe('');
    expect(parsed).toBe(1);
    mirror.write('after close', () => parsed++);
    expect(parsed).toBe(2);
    expect(await mirror.readRows(0)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
