import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringWidthEmoji } from '../../scripts/string-width-emoji.mjs';
import { loadPatched, stringWidthFile, type StringWidth, type Transform } from '../helpers/bundle-patch.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

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
