// A rolldown plugin for the bundle: every `new Intl.Segmenter(...)` (Ink, wrap-ansi,
// slice-ansi, cli-truncate, @alcalzone/ansi-tokenize, string-width, ui/layout.ts) becomes
// `wdSegmenter(...)`, which makes the real segmenter only when a string needs it. The first
// Intl object a process makes loads ICU's data: 15-80 ms on this project's machine, paid in
// the deck's first frame although its text is ASCII, box drawing and a few narrow symbols.
// Splitting a string of only those (ALONE below: NARROW, each its own grapheme cluster as
// scripts/string-width-narrow.mjs and its test show, and controls such as escape) into
// graphemes is splitting it into code units, so wdSegmenter does that for them and hands
// everything else to Intl.Segmenter (test/unit/lazy-segmenter.test.ts compares the two).
import { NARROW } from './string-width-narrow.mjs';

const ID = 'wd:segmenter';
const FROM = /\bnew Intl\.Segmenter\(/g;

/**
 * Code points that are a grapheme cluster of their own beside any other of them: NARROW,
 * and the controls but CR (which joins a following LF), escape included, so text with SGR
 * codes qualifies. A regex character class body.
 */
export const ALONE = `\\u0000-\\u000C\\u000E-\\u001F\\u007F-\\u009F${NARROW}`;

/** The module every patched file imports: `wdSegmenter(locales, options)`, a lazy Intl.Segmenter. */
export const SEGMENTER_MODULE = `
const ALONE_RE = /^[${ALONE}]*$/;

/** The grapheme segments of a string whose every code unit is a cluster of its own. */
class LoneSegments {
	constructor(input) {
		this.input = input;
	}
	*[Symbol.iterator]() {
		const input = this.input;
		for (let index = 0; index < input.length; index++) yield { segment: input[index], index, input };
	}
	containing(at) {
		const index = Math.trunc(Number(at)) || 0;
		if (index < 0 || index >= this.input.length) return undefined;
		return { segment: this.input[index], index, input: this.input };
	}
}

export function wdSegmenter(locales, options) {
	let real;
	const make = () => (real ??= new Intl.Segmenter(locales, options));
	const graphemes = options?.granularity === undefined || options.granularity === 'grapheme';
	// Bad arguments throw here, as Intl.Segmenter's constructor would.
	if (locales !== undefined || (options !== undefined && !graphemes)) make();
	return {
		segment(input) {
			const text = String(input);
			return graphemes && ALONE_RE.test(text) ? new LoneSegments(text) : make().segment(input);
		},
		resolvedOptions() {
			return make().resolvedOptions();
		},
	};
}
`;

/** @returns {import('rolldown').Plugin} */
export function lazySegmenter() {
  return {
    name: 'workerdeck-lazy-segmenter',
    resolveId(source) {
      return source === ID ? `\0${ID}` : null;
    },
    load(id) {
      return id === `\0${ID}` ? SEGMENTER_MODULE : null;
    },
    transform(code, id) {
      if (id.startsWith('\0') || !FROM.test(code)) return null;
      FROM.lastIndex = 0;
      // Only ES modules take an import; a CommonJS one is left as it is.
      if (!/^\s*(import|export)\s/m.test(code)) return null;
      return { code: `import { wdSegmenter as __wdSegmenter } from '${ID}';\n${code.replace(FROM, '__wdSegmenter(')}`, map: null };
    },
  };
}
