// A rolldown plugin for the bundle that makes Ink's frames cost what changed in them.
//
// 1. Ink's Output keeps its caches (a text's styled characters and its width in cells)
//    for one frame only, so every frame tokenises every row again, even rows that did not
//    change. This makes the caches outlive the frame: one shared set, each map bounded
//    (two generations of at most LIMIT entries, what the last frames used stays), plus
//    caches of each text's lines as strings and of each clipped line's visible part. The
//    cached values are never mutated by Ink (it copies characters into its own cells), so a
//    hit gives the frame Ink would have built.
// 2. Ink then paints every cell of the screen into a fresh grid of cell objects and turns
//    every row back into a string, about 5,000 cells a frame at 120x40. Here a frame first
//    collects, for each row, the pieces written on it: each (column, text after clipping and
//    transformers), in Ink's order. A row is a pure function of the frame's width and its
//    pieces, so a row whose pieces a recent frame had is taken from a cache; only new rows
//    are painted, with Ink's own cell-writing code, moved unchanged into `wdPaint`.
// Every replaced line of Ink's code is checked: if Ink's code no longer matches, the build
// fails rather than silently dropping this.

const LIMIT = 1000;

const shared = `
class WdTwoGenerationMap {
    constructor(limit) {
        this.limit = limit;
    }
    recent = new Map();
    older = new Map();
    get(key) {
        let value = this.recent.get(key);
        if (value === undefined) {
            value = this.older.get(key);
            if (value !== undefined) this.set(key, value);
        }
        return value;
    }
    set(key, value) {
        if (this.recent.size >= this.limit) {
            this.older = this.recent;
            this.recent = new Map();
        }
        this.recent.set(key, value);
    }
}
let wdSharedCaches;
function wdFrameCaches() {
    if (wdSharedCaches === undefined) {
        wdSharedCaches = new OutputCaches();
        wdSharedCaches.widths = new WdTwoGenerationMap(${LIMIT});
        wdSharedCaches.blockWidths = new WdTwoGenerationMap(${LIMIT});
        wdSharedCaches.styledChars = new WdTwoGenerationMap(${LIMIT});
        wdSharedCaches.lines = new WdTwoGenerationMap(${LIMIT});
        wdSharedCaches.slices = new WdTwoGenerationMap(${LIMIT});
        // Whole rows: a 120x40 frame has 40, so this keeps the rows of the last ~50 frames.
        wdSharedCaches.rows = new WdTwoGenerationMap(${LIMIT * 2});
        // A text's lines as Ink derives them before clipping: styles carried across newlines.
        wdSharedCaches.getLines = function (text) {
            let cached = this.lines.get(text);
            if (cached === undefined) {
                const characterLines = [[]];
                for (const character of this.getStyledChars(text)) {
                    if (character.value === '\\n') {
                        characterLines.push([]);
                    }
                    else {
                        characterLines.at(-1).push(character);
                    }
                }
                cached = characterLines.map(line => styledCharsToString(line));
                this.lines.set(text, cached);
            }
            return cached;
        };
    }
    return wdSharedCaches;
}
`;

/**
 * [what Ink has, what the bundle gets instead], each applied once and checked.
 * @type {[string, string][]}
 */
const REPLACEMENTS = [
  ['    caches = new OutputCaches();', '    caches = wdFrameCaches();'],
  [
    `        // Preserve styles across explicit newlines before clipping individual rows.
        const characterLines = [[]];
        for (const character of this.caches.getStyledChars(text)) {
            if (character.value === '\\n') {
                characterLines.push([]);
            }
            else {
                characterLines.at(-1).push(character);
            }
        }
        let lines = characterLines.map(line => styledCharsToString(line));`,
    `        // Preserve styles across explicit newlines before clipping individual rows.
        let lines = this.caches.getLines(text);`,
  ],
  [
    `            for (const transformer of transformers) {
                line = transformer(line, index + y - operation.y);
            }
            const characters = this.caches.getStyledChars(line);
            // Nothing to write (e.g. line was clipped away).
            if (characters.length === 0) {
                continue;
            }
            let offsetX = x;`,
    `            for (const transformer of transformers) {
                line = transformer(line, index + y - operation.y);
            }
            // workerdeck: the row collects its pieces; get() paints the rows no cache has.
            currentLine.push(x, line);
        }
    }
    wdPaint(currentLine, x, line) {
        {
            const characters = this.caches.getStyledChars(line);
            // Nothing to write (e.g. line was clipped away).
            if (characters.length === 0) {
                return;
            }
            let offsetX = x;`,
  ],
  [
    `        const output = [];
        for (let y = 0; y < this.height; y++) {
            const row = [];
            for (let x = 0; x < this.width; x++) {
                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });
            }
            output.push(row);
        }`,
    `        // workerdeck: each row starts as the list of its pieces (column, text), see wdRow.
        const output = [];
        for (let y = 0; y < this.height; y++) {
            output.push([]);
        }`,
  ],
  [
    `        const generatedOutput = output
            .map(line => {
            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742
            const lineWithoutEmptyItems = line.filter(item => item !== undefined);
            return styledCharsToString(lineWithoutEmptyItems).trimEnd();
        })
            .join('\\n');`,
    `        const generatedOutput = output
            .map(pieces => this.wdRow(pieces))
            .join('\\n');`,
  ],
  [
    `                    return this.sliceLineToColumns(line, from, to);`,
    `                    // workerdeck: a clipped line's visible part, cached (a pure function of its arguments).
                    const sliceKey = from + ',' + to + ',' + line;
                    let slice = this.caches.slices.get(sliceKey);
                    if (slice === undefined) {
                        slice = this.sliceLineToColumns(line, from, to);
                        this.caches.slices.set(sliceKey, slice);
                    }
                    return slice;`,
  ],
  [
    `    get() {`,
    `    // A row from its pieces: from the cache, or painted on blank cells as Ink paints a row.
    wdRow(pieces) {
        let key = String(this.width);
        for (let i = 0; i < pieces.length; i += 2) {
            key += ',' + pieces[i] + ',' + pieces[i + 1].length + ':' + pieces[i + 1];
        }
        let text = this.caches.rows.get(key);
        if (text === undefined) {
            const line = [];
            for (let x = 0; x < this.width; x++) {
                line.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });
            }
            for (let i = 0; i < pieces.length; i += 2) {
                this.wdPaint(line, pieces[i], pieces[i + 1]);
            }
            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742
            const lineWithoutEmptyItems = line.filter(item => item !== undefined);
            text = styledCharsToString(lineWithoutEmptyItems).trimEnd();
            this.caches.rows.set(key, text);
        }
        return text;
    }
    get() {`,
  ],
];

/** @returns {import('rolldown').Plugin} */
export function inkFrameCache() {
  return {
    name: 'workerdeck-ink-frame-cache',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('/ink/build/output.js')) return null;
      if (!code.includes('class OutputCaches') || !code.includes('export default class Output')) {
        throw new Error('ink-frame-cache: ink/build/output.js changed; update scripts/ink-frame-cache.mjs or drop the plugin');
      }
      let out = code;
      for (const [from, to] of REPLACEMENTS) {
        if (out.split(from).length !== 2) {
          throw new Error(`ink-frame-cache: ink/build/output.js changed (no single "${from.trim().split('\n')[0]}"); update scripts/ink-frame-cache.mjs or drop the plugin`);
        }
        out = out.replace(from, () => to);
      }
      return { code: out.replace('export default class Output', `${shared}\nexport default class Output`), map: null };
    },
  };
}
