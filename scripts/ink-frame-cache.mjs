// A rolldown plugin for the bundle: Ink's Output keeps its caches (a text's styled
// characters and its width in cells) for one frame only, so every frame tokenises
// every row again, even rows that did not change. This makes the caches outlive the
// frame: one shared set, each map bounded (two generations of at most LIMIT entries,
// what the last frames used stays). The cached values are never mutated by Ink (it
// copies characters into its own cells), so a hit gives the frame Ink would have built.
// If Ink's code no longer matches, the build fails rather than silently dropping this.

const LIMIT = 1000;
const FROM = '    caches = new OutputCaches();';

const shared = `
class WdTwoGenerationMap {
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
        if (this.recent.size >= ${LIMIT}) {
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
        wdSharedCaches.widths = new WdTwoGenerationMap();
        wdSharedCaches.blockWidths = new WdTwoGenerationMap();
        wdSharedCaches.styledChars = new WdTwoGenerationMap();
    }
    return wdSharedCaches;
}
`;

/** @returns {import('rolldown').Plugin} */
export function inkFrameCache() {
  return {
    name: 'workerdeck-ink-frame-cache',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('/ink/build/output.js')) return null;
      if (!code.includes(FROM) || !code.includes('class OutputCaches')) {
        throw new Error('ink-frame-cache: ink/build/output.js changed; update scripts/ink-frame-cache.mjs or drop the plugin');
      }
      return { code: code.replace(FROM, '    caches = wdFrameCaches();').replace('export default class Output', `${shared}\nexport default class Output`), map: null };
    },
  };
}
