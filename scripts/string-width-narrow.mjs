// A rolldown plugin for the bundle: string-width counts printable ASCII by its length, and
// sends anything else through Intl.Segmenter, a regex and a width table per grapheme cluster.
// The deck's frames are ASCII plus a few narrow symbols (box drawing, ·, …, arrows, ✓, ●),
// so nearly every row of the first frame took the slow path: ~20-30 ms of it on this
// project's machine. Every code point in NARROW is its own grapheme cluster next to any
// other of them or ASCII, and one column wide (test/unit/string-width-narrow.test.ts checks
// each, and every pair, against string-width itself), so a string of only those is as wide
// as it is long, when ambiguous characters count narrow (string-width's default). If
// string-width's code no longer matches, the build fails rather than silently dropping this.

const FROM = 'if (/^[\\u0020-\\u007E]*$/.test(string)) {';

/** The code points the fast path takes, as a regex character class body (printable ASCII included). */
export const NARROW =
  '\\u0020-\\u007E\\u00A0-\\u00AC\\u00AE-\\u00FF\\u2010-\\u2027\\u2030-\\u205E\\u2190-\\u22FF\\u23CE\\u2500-\\u25FC\\u26A0\\u2709\\u2713\\u2717';

/** @returns {import('rolldown').Plugin} */
export function stringWidthNarrow() {
  return {
    name: 'workerdeck-string-width-narrow',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('/string-width/index.js')) return null;
      if (code.split(FROM).length !== 2 || !code.includes('ambiguousIsNarrow = true,')) {
        throw new Error('string-width-narrow: string-width/index.js changed; update scripts/string-width-narrow.mjs or drop the plugin');
      }
      const fast = `if (ambiguousIsNarrow && /^[${NARROW}]*$/.test(string)) {\n\t\treturn string.length;\n\t}\n\n\t${FROM}`;
      return { code: code.replace(FROM, () => fast), map: null };
    },
  };
}
