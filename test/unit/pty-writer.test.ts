import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PtyWriter } from '../../src/pty/pty-writer.js';
import { tempDir } from '../helpers/git-repo.js';

/** A FIFO opened nonblocking at both ends, as a PTY master is: a real kernel buffer that fills. */
function fifo(): { reader: number; writer: number; cleanup: () => void } {
  const dir = tempDir('wd-pty-writer-');
  const file = `${dir.dir}/fifo`;
  execFileSync('mkfifo', [file]);
  const reader = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  return { reader, writer, cleanup: () => dir.cleanup() };
}

/** Everything the reader can take now. */
function drain(fd: number): Buffer {
  const parts: Buffer[] = [];
  const chunk = Buffer.alloc(65536);
  for (;;) {
    try {
      const n = readSync(fd, chunk);
      if (n === 0) break;
      parts.push(Buffer.from(chunk.subarray(0, n)));
    } catch {
      break; // EAGAIN: nothing more now
    }
  }
  return Buffer.concat(parts);
}

/** A writer on `fd` whose retries the test runs itself, in order. */
function withRetries(fd: number): { writer: PtyWriter; retries: (() => void)[] } {
  const retries: (() => void)[] = [];
  const writer = new PtyWriter(fd, (_ms, fn) => {
    retries.push(fn);
    return () => undefined;
  });
  return { writer, retries };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('PtyWriter', () => {
  it('writes at once what the buffer takes, holds the rest in order, and offers it again on each retry', () => {
    const f = fifo();
    cleanups.push(() => {
      closeSync(f.reader);
      closeSync(f.writer);
      f.cleanup();
    });
    const { writer, retries } = withRetries(f.writer);
    writer.write('key');
    expect(drain(f.reader).toString()).toBe('key');
    expect(writer.pending).toBe(0);
    const big = Buffer.alloc(300 * 1024, 0);
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
    writer.write(big);
    writer.write('tail');
    expect(writer.pending).toBeGreaterThan(0);
    expect(retries).toHaveLength(1);
    let got = drain(f.reader);
    while (retries.length > 0) {
      retries.shift()!();
      got = Buffer.concat([got, drain(f.reader)]);
    }
    expect(writer.pending).toBe(0);
    expect(got.equals(Buffer.concat([big, Buffer.from('tail')]))).toBe(true);
  });

  it('drops what is held and all later input once the descriptor fails, without throwing', () => {
    const f = fifo();
    cleanups.push(() => {
      closeSync(f.writer);
      f.cleanup();
    });
    const { writer, retries } = withRetries(f.writer);
    writer.write(Buffer.alloc(200 * 1024, 120));
    expect(writer.pending).toBeGreaterThan(0);
    // The reader is gone: the next write fails with EPIPE.
    closeSync(f.reader);
    retries.shift()!();
    expect(writer.pending).toBe(0);
    expect(() => writer.write('after')).not.toThrow();
    expect(writer.pending).toBe(0);
    expect(retries).toHaveLength(0);
  });
});
