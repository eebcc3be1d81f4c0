import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import type { PtyHandle } from '../../src/pty/types.js';
import { waitFor } from '../helpers/term.js';

/**
 * A child that reads `total` bytes of raw PTY input, slowly at first (so the
 * kernel's buffer fills and the writer must hold the rest), then prints their
 * count and SHA-256.
 */
const READER = `
process.stdin.setRawMode(true);
const total = Number(process.argv[1]);
const hash = require('node:crypto').createHash('sha256');
let got = 0;
process.stdin.pause();
setTimeout(() => process.stdin.resume(), 300);
process.stdin.on('data', (chunk) => {
  hash.update(chunk);
  got += chunk.length;
  if (got >= total) { process.stdout.write('GOT ' + got + ' ' + hash.digest('hex') + '\\n'); process.exit(0); }
});
process.stdout.write('READY\\n');
`;

const started: PtyHandle[] = [];
afterEach(() => {
  for (const pty of started.splice(0)) pty.killSession('SIGKILL');
});

function spawnReader(total: number): { pty: PtyHandle; output: () => string } {
  let output = '';
  const pty = spawnNodePty({ file: process.execPath, args: ['-e', READER, String(total)], cwd: process.cwd(), env: { ...process.env } as Record<string, string>, cols: 80, rows: 24 });
  started.push(pty);
  pty.onData((data) => (output += data));
  return { pty, output: () => output };
}

describe('input to a real PTY (PtyWriter)', () => {
  it('delivers a paste far larger than the kernel buffer whole and in order, to a reader that starts late', async () => {
    // Printable bytes only: raw mode still maps some control bytes on input.
    const body = Buffer.from(randomBytes(384 * 1024).toString('base64'), 'latin1');
    const { pty, output } = spawnReader(body.length);
    await waitFor(() => output().includes('READY'), 'the reader to start');
    // Many writes of odd sizes while the reader is not reading: most are held, in order.
    for (let at = 0, size = 1; at < body.length; at += size, size = (size * 7 + 3) % 9001 || 1) {
      pty.write(body.subarray(at, at + size).toString('latin1'));
    }
    const expected = `GOT ${body.length} ${createHash('sha256').update(body).digest('hex')}`;
    await waitFor(() => output().includes('GOT '), 'the reader to get every byte', 30_000);
    expect(output()).toContain(expected);
  });
});
