import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Transcript } from '../../src/registry/transcript.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function dir(): string {
  const d = tempDir('wd-transcript-');
  dirs.push(d);
  return d.dir;
}

/** `n` bytes of ASCII, different in every chunk so that order and loss show. */
const chunk = (i: number, n: number) => `${String(i).padStart(6, '0')}${'abcdefghij'.repeat(n)}`.slice(0, n);

describe('Transcript back-pressure', () => {
  it('asks the writer to stop past its high-water mark and calls the drain listener once the bytes are on disk', async () => {
    const file = path.join(dir(), 'w.log');
    const errors: string[] = [];
    const transcript = new Transcript(file, (m) => errors.push(m), 1024 * 1024, 16 * 1024);
    let drains = 0;
    transcript.onDrain(() => drains++);
    await transcript.open();
    expect(transcript.write(chunk(0, 8 * 1024))).toBe(true);
    // 8 KiB more: the backlog reaches the mark.
    expect(transcript.write(Buffer.from(chunk(1, 8 * 1024)))).toBe(false);
    await waitFor(() => drains === 1, 'the drain listener');
    expect(transcript.write(chunk(2, 100))).toBe(true);
    await transcript.close();
    expect(readFileSync(file, 'utf8')).toBe(chunk(0, 8 * 1024) + chunk(1, 8 * 1024) + chunk(2, 100));
    expect(errors).toEqual([]);
  });

  it('counts output queued during a rotation and calls the drain listener after it, keeping every byte in order', async () => {
    const file = path.join(dir(), 'r.log');
    const transcript = new Transcript(file, () => undefined, 64 * 1024, 16 * 1024);
    let drains = 0;
    transcript.onDrain(() => drains++);
    await transcript.open();
    const written: string[] = [];
    const results: boolean[] = [];
    // 7 × 10 KiB passes the 64 KiB cap: the rotation starts; the next 3 chunks wait for it.
    for (let i = 0; i < 10; i++) {
      written.push(chunk(i, 10 * 1024));
      results.push(transcript.write(written[i]!));
    }
    // The second chunk queued during the rotation reaches the 16 KiB mark.
    expect(results.slice(7)).toEqual([true, false, false]);
    await waitFor(() => drains >= 1, 'the drain listener after the rotation');
    await transcript.close();
    expect(readFileSync(`${file}.1`, 'utf8') + readFileSync(file, 'utf8')).toBe(written.join(''));
  });

  it('never keeps a writer waiting on a transcript that cannot be written', async () => {
    const file = path.join(dir(), 'missing-dir', 'x.log');
    const errors: string[] = [];
    const transcript = new Transcript(file, (m) => errors.push(m), 1024 * 1024, 1024);
    let drains = 0;
    transcript.onDrain(() => drains++);
    await transcript.open();
    expect(transcript.write(chunk(0, 4096))).toBe(false);
    await waitFor(() => drains === 1, 'the drain listener after the error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Cannot write transcript .*x\.log: .*The worker keeps running; its transcript stops here\.$/);
    expect(transcript.write(chunk(1, 4096))).toBe(true);
    await transcript.close();
  });
});
