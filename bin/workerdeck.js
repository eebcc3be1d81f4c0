#!/usr/bin/env node
// Thin launcher: check the Node version before anything that needs a new Node is loaded.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`workerdeck needs Node.js 22 or newer; this is Node.js ${process.versions.node}.\n`);
  process.exit(1);
}
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
