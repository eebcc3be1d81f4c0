import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringWidthEmoji } from '../../scripts/string-width-emoji.mjs';
import { loadPatched, type Transform } from '../helpers/bundle-patch.js';

type StringWidth = (text: string, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }) => number;

const require = createRequire(import.meta.url);
// string-width is ESM-only with an `exports` map: its entry is index.js in the package dir, found from Ink's.
const inkDir = path.dirname(require.resolve('ink'));
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function stringWidthFile(): string {
  for (let at = inkDir; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', 'string-width', 'index.js');
    if (existsSync(candidate)) return candidate;
    if (at === path.dirname(at)) throw new Error('string-width not found');
  }
}

async function load(patched: boolean): Promise<StringWidth> {
  const file = stringWidthFile();
  const { module, cleanup } = await loadPatched<{ default: StringWidth }>(file, patched ? (stringWidthEmoji().transform as unknown as Transform) : null);
  cleanups.push(cleanup);
  return module.default;
}

describe('the bundle\'s string-width meets the full emoji pattern only for clusters of several code points', () => {
  it('gives every code point, and clusters of emoji, flags, keycaps, CJK and marks, the width string-width gives', async () => {
    const plain = await load(false);
    const patched = await load(true);
    const differ: string[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = String.fromCodePoint(cp);
      if (patched(s) !== plain(s)) differ.push(cp.toString(16));
    }
    expect(differ).toEqual([]);
    for (const s of ['👩‍💻 dev', '🇩🇪🇫🇷', '1️⃣ #⃣', '✔️ ok', '❤', '漢字かな', 'é', '각', '🏳️‍🌈', '👍🏽', '╭─ pane ─╮ ● ✉3 ⚡', '\u001b[31m✓\u001b[0m']) {
      expect([s, patched(s)]).toEqual([s, plain(s)]);
    }
  }, 120_000);

  it('makes the full pattern on its first test, not when the module loads', () => {
    const file = stringWidthFile();
    const transform = stringWidthEmoji().transform as unknown as (code: string, id: string) => { code: string };
    const code = transform.call({}, readFileSync(file, 'utf8'), file).code;
    expect(readFileSync(file, 'utf8')).toContain('/^\\p{RGI_Emoji}$/v');
    expect(code).not.toContain('/^\\p{RGI_Emoji}$/v');
    expect(code).toContain("new RegExp('^\\\\p{RGI_Emoji}$', 'v')");
  });

  it('fails the build when string-width no longer tests segments with that pattern', () => {
    const transform = stringWidthEmoji().transform as unknown as (code: string, id: string) => unknown;
    expect(() => transform.call({}, 'export default function stringWidth() {}', '/x/node_modules/string-width/index.js')).toThrow(/string-width\/index.js changed/);
    // The entry it puts the memo in front of, changed alone.
    const code = readFileSync(stringWidthFile(), 'utf8').replace('export default function stringWidth(input, options = {}) {', 'export default function stringWidth(input, options) {');
    expect(() => transform.call({}, code, '/x/node_modules/string-width/index.js')).toThrow(/string-width\/index.js changed/);
  });
});
