// A rolldown plugin for the bundle: string-width tests every non-ASCII grapheme
// cluster against /^\p{RGI_Emoji}$/v, and V8 compiles that pattern (every emoji
// sequence there is) on its first use: 60-150 ms on this project's machine, in the
// deck's first frame, whose borders are box-drawing characters. A cluster of one
// code point is RGI_Emoji exactly when it has Emoji_Presentation and is not a
// regional indicator (test/unit/string-width-emoji.test.ts checks every code point),
// a pattern V8 compiles in well under a millisecond; longer clusters still meet the
// full pattern, compiled when the first one appears. That pattern is also made only then:
// V8 parses a /v literal with a property of strings when the module runs, 40-50 ms of
// the deck's start for this one.
//
// It also remembers widths: string-width segments every non-ASCII string into grapheme
// clusters (Intl.Segmenter) on every call, and Ink measures each text node on every
// frame and each changed row two or three times more while writing it (log-update's
// lineUpdate): the deck's rows all hold box-drawing characters, so that was the largest
// cost of a frame after the patches of ink-frame-cache.mjs. Calls with the default
// options and strings up to MEMO_MAX_LENGTH code units are answered from a bounded
// cache (two generations of at most MEMO_LIMIT entries); string-width is a pure
// function of its input, so a hit is the width it would compute.
//
// If string-width's code no longer matches, the build fails rather than silently
// dropping this.

const FROM = 'rgiEmojiRegex.test(segment)';
const PATTERN = 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;';
/** The same pattern, made on its first test. */
const LAZY_PATTERN = "let wdRgiEmojiPattern;\nconst rgiEmojiRegex = { test: (text) => (wdRgiEmojiPattern ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(text) };";
const ENTRY = 'export default function stringWidth(input, options = {}) {';
const MEMO_LIMIT = 4000;
const MEMO_MAX_LENGTH = 1024;

/** The test that replaces `rgiEmojiRegex.test(segment)`; exported for the unit test. */
export const helper = `
const wdSingleRgiEmojiRegex = /^(?![\\u{1F1E6}-\\u{1F1FF}])\\p{Emoji_Presentation}$/u;
function wdIsRgiEmoji(segment) {
	const single = segment.length === 1 || (segment.length === 2 && segment.codePointAt(0) > 0xFFFF);
	return single ? wdSingleRgiEmojiRegex.test(segment) : rgiEmojiRegex.test(segment);
}
`;

/** The memo in front of string-width's own function, renamed `wdStringWidth`; exported for the unit test. */
export const memo = `
const wdWidths = { recent: new Map(), older: new Map() };
export default function stringWidth(input, options) {
	if (options !== undefined || typeof input !== 'string' || input.length > ${MEMO_MAX_LENGTH}) return wdStringWidth(input, options);
	let width = wdWidths.recent.get(input);
	if (width === undefined) {
		width = wdWidths.older.get(input);
		if (width === undefined) width = wdStringWidth(input);
		if (wdWidths.recent.size >= ${MEMO_LIMIT}) {
			wdWidths.older = wdWidths.recent;
			wdWidths.recent = new Map();
		}
		wdWidths.recent.set(input, width);
	}
	return width;
}
`;

/** @returns {import('rolldown').Plugin} */
export function stringWidthEmoji() {
  return {
    name: 'workerdeck-string-width-emoji',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('/string-width/index.js')) return null;
      if (code.split(FROM).length !== 2 || code.split(ENTRY).length !== 2 || code.split('rgiEmojiRegex').length !== 3 || !code.includes(PATTERN)) {
        throw new Error('string-width-emoji: string-width/index.js changed; update scripts/string-width-emoji.mjs or drop the plugin');
      }
      const renamed = code
        .replace(FROM, () => 'wdIsRgiEmoji(segment)')
        .replace(PATTERN, () => LAZY_PATTERN)
        .replace(ENTRY, () => 'function wdStringWidth(input, options = {}) {');
      return { code: `${renamed}\n${helper}\n${memo}`, map: null };
    },
  };
}
