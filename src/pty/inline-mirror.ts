import { ScreenMirror } from './mirror.js';
import type { MirrorFactory, MirrorHandle } from './types.js';

/**
 * A MirrorHandle that parses on the calling thread, for tests that want no
 * worker thread (pass it as the Deck's `mirrors`).
 */
export const inlineMirror: MirrorFactory = (cols, rows) => {
  const mirror = new ScreenMirror(cols, rows);
  const cache = new Map<number, string[]>();
  const handle: MirrorHandle = {
    get cols() {
      return mirror.cols;
    },
    get rows() {
      return mirror.rows;
    },
    get bracketedPaste() {
      return mirror.bracketedPaste;
    },
    get scrollbackLength() {
      return mirror.scrollbackLength;
    },
    write: (data, onParsed) => mirror.write(data, onParsed),
    flush: () => mirror.flush(),
    resize: (c, r) => mirror.resize(c, r),
    cachedRows: (scrollBack) => cache.get(scrollBack) ?? null,
    readRows: async (scrollBack) => {
      const rowsNow = mirror.styledRows(scrollBack);
      cache.clear();
      cache.set(scrollBack, rowsNow);
      return rowsNow;
    },
    textRows: async () => mirror.textRows(),
    serialize: async () => {
      await mirror.flush();
      return mirror.serialize();
    },
    serializeActive: async () => {
      await mirror.flush();
      return mirror.serializeActive();
    },
    watchSwitches: (listener) => mirror.watchSwitches(listener),
    dispose: () => mirror.dispose(),
  };
  return handle;
};
