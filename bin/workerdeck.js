#!/usr/bin/env node
// Thin launcher: check the Node version before anything that needs a new Node is loaded.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`workerdeck needs Node.js 22 or newer; this is Node.js ${process.versions.node}.\n`);
  process.exit(1);
}
// React and Ink run their development builds unless told otherwise: several times slower.
// Workers get the user's own NODE_ENV back (src/cli.ts userEnvironment).
if (process.env.NODE_ENV === undefined) {
  process.env.NODE_ENV = 'production';
  process.env.WORKERDECK_NODE_ENV_SET = '1';
}
// The deck always draws on a terminal: pick colours from it, not from CI heuristics
// (chalk turns colour off whenever CI is set). NO_COLOR and FORCE_COLOR still win.
if (process.env.FORCE_COLOR === undefined && process.env.NO_COLOR === undefined) {
  const { COLORTERM = '', TERM = '' } = process.env;
  const level = /truecolor|24bit/i.test(COLORTERM) ? 3 : /256/.test(TERM) ? 2 : TERM && TERM !== 'dumb' ? 1 : 0;
  if (level > 0) {
    process.env.FORCE_COLOR = String(level);
    process.env.WORKERDECK_FORCE_COLOR_SET = '1';
  }
}
// A small V8 young generation in every thread, set before the heap grows. See src/heap-flags.ts.
const { limitYoungGeneration } = await import('../dist/heap-flags.js');
limitYoungGeneration();
// Cache compiled code on disk: later starts skip most of the parsing and compiling.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
