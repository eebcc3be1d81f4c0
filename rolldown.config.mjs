// Bundles dist/ into dist/bundle/: one file per entry and a few shared chunks,
// so starting the deck reads a handful of files instead of ~160 modules.
import { defineConfig } from 'rolldown';
import { inkFrameCache } from './scripts/ink-frame-cache.mjs';
import { stringWidthEmoji } from './scripts/string-width-emoji.mjs';
import { stringWidthNarrow } from './scripts/string-width-narrow.mjs';
import { lazySegmenter } from './scripts/lazy-segmenter.mjs';

// CommonJS dependencies bundled into ES modules still ask for these.
const banner = [
  "import { createRequire as __wdRequire } from 'node:module';",
  "import { fileURLToPath as __wdPath } from 'node:url';",
  "import { dirname as __wdDir } from 'node:path';",
  'const __filename = __wdPath(import.meta.url);',
  'const __dirname = __wdDir(__filename);',
  'const require = __wdRequire(import.meta.url);',
].join('\n');

export default defineConfig({
  input: { cli: 'dist/cli.js', 'mirror-thread': 'dist/pty/mirror-thread.js' },
  platform: 'node',
  // node-pty is native; react-devtools-core is Ink's optional dev tool, loaded only with DEV=true.
  external: ['node-pty', 'react-devtools-core'],
  output: { dir: 'dist/bundle', format: 'esm', banner, sourcemap: true, cleanDir: true },
  // Ink's per-frame caches kept across frames: a redraw re-tokenises only changed rows.
  // string-width meets its costly emoji pattern only for clusters of several code points,
  // and counts strings of ASCII and narrow symbols (box drawing, arrows) by their length.
  // Intl.Segmenter is made when a string needs it: loading ICU waits until then.
  plugins: [inkFrameCache(), stringWidthEmoji(), stringWidthNarrow(), lazySegmenter()],
  logLevel: 'warn',
});
