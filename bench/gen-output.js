// Generates "realistic terminal output": build/test/agent-style log lines with
// SGR colours (16, 256 and truecolour), bold/dim/underline, long lines that
// wrap at 120 columns, UTF-8 box drawing and accents, tabs, and cursor
// movement (progress bars redrawn with CR + erase-line, cursor up/down).
// Deterministic (seeded), so every run parses the same bytes.
import { openSync, writeSync, closeSync } from 'node:fs';

/** A seeded PRNG (mulberry32): each call gives a number in [0, 1). @param {number} seed */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the deck worker branch commit compile module function return const async await import export test pass fail ' +
  'error warning info debug request response status cache index value config build bundle render stream buffer ' +
  'parse token syntax node package version install resolve promise callback handler socket server client terminal'
).split(' ');
const PATHS = ['src/deck.ts', 'src/ui/App.tsx', 'src/pty/mirror.ts', 'test/unit/mail.test.ts', 'lib/index.js', 'packages/core/src/main.rs'];

/**
 * Write `bytes` bytes of realistic terminal output to `file`.
 * @param {string} file
 * @param {number} bytes
 * @returns {number} bytes written
 */
export function generateOutput(file, bytes, seed = 42) {
  const r = rng(seed);
  /** @template T @param {T[]} a @returns {T} */
  const pick = (a) => /** @type {T} */ (a[Math.floor(r() * a.length)]);
  const words = (/** @type {number} */ n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += (i ? ' ' : '') + pick(WORDS);
    return s;
  };
  const fd = openSync(file, 'w');
  let written = 0;
  let chunk = '';
  let line = 0;
  const flush = () => {
    const buf = Buffer.from(chunk, 'utf8');
    const room = bytes - written;
    const out = buf.length > room ? buf.subarray(0, room) : buf;
    writeSync(fd, out);
    written += out.length;
    chunk = '';
  };
  while (written < bytes) {
    line++;
    const kind = r();
    if (kind < 0.35) {
      // A log line with a coloured level and a timestamp.
      const level = pick([['32', 'INFO '], ['33', 'WARN '], ['31', 'ERROR'], ['36', 'DEBUG']]);
      chunk += `\x1b[2m12:${String(line % 60).padStart(2, '0')}:${String((line * 7) % 60).padStart(2, '0')}\x1b[0m \x1b[${level[0]}m${level[1]}\x1b[0m ${words(4 + Math.floor(r() * 14))}\n`;
    } else if (kind < 0.5) {
      // A long line that wraps (stack trace / minified output).
      chunk += `\x1b[38;5;${Math.floor(r() * 256)}m${words(30 + Math.floor(r() * 40))}\x1b[0m\n`;
    } else if (kind < 0.62) {
      // Diff-like, truecolour.
      const add = r() < 0.5;
      chunk += `\x1b[38;2;${add ? '80;200;120' : '230;90;90'}m${add ? '+' : '-'}\t${words(3 + Math.floor(r() * 10))}\x1b[0m\n`;
    } else if (kind < 0.72) {
      // Test result line with symbols and bold.
      const ok = r() < 0.85;
      chunk += ` ${ok ? '\x1b[32m✓' : '\x1b[1;31m✗'}\x1b[0m ${pick(PATHS)} \x1b[2m›\x1b[0m ${words(3 + Math.floor(r() * 6))} \x1b[33m(${Math.floor(r() * 900)} ms)\x1b[0m\n`;
    } else if (kind < 0.8) {
      // A progress bar redrawn in place: CR, erase line, 4 frames.
      for (let f = 0; f <= 3; f++) {
        const done = Math.round((f / 3) * 20);
        chunk += `\r\x1b[2K\x1b[36m[${'#'.repeat(done)}${'-'.repeat(20 - done)}]\x1b[0m ${Math.round((f / 3) * 100)}% ${pick(PATHS)}`;
      }
      chunk += ` \x1b[32m✓\x1b[0m café`;
      chunk += '\n';
    } else if (kind < 0.86) {
      // A box drawn with cursor moves: up, redraw, down.
      chunk += `╭${'─'.repeat(30)}╮\n│ \x1b[1m${words(4).padEnd(28).slice(0, 28)}\x1b[0m │\n╰${'─'.repeat(30)}╯\n`;
      chunk += `\x1b[2A\x1b[3G\x1b[7m${words(2)}\x1b[0m\x1b[2B\r`;
    } else if (kind < 0.9) {
      // Spinner-style status line: save cursor, move, write, restore.
      chunk += `\x1b7\x1b[1;100H\x1b[45m ${pick(['⠋', '⠙', '⠹', '⠸'])} ${line} \x1b[0m\x1b8${words(6)}\n`;
    } else {
      // Plain text with a little underline and italics.
      chunk += `${words(5)} \x1b[4m${pick(PATHS)}\x1b[24m \x1b[3m${words(4)}\x1b[23m\n`;
    }
    if (chunk.length > 1 << 16) flush();
  }
  if (chunk && written < bytes) flush();
  closeSync(fd);
  return written;
}
