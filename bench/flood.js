// Flood: 10 shell workers in the real Deck (a child process, bench/deck-flood.js)
// each `cat` 20–30 MB of realistic coloured output at once. Figures: the deck
// process's peak RSS (VmHWM; it includes the mirror thread) and its RSS
// 30 s after the output stopped.
// Standalone: node bench/flood.js [--quick] [--workers=N] [--min=MB] [--max=MB] [--after=ms] [--samples]
// (WDBENCH_NODE_ARGS="--expose-gc" adds an RSS after a forced GC, to tell
// garbage from live memory).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateOutput } from './gen-output.js';
import { cleanup, log, now, ROOT, tempDir } from './lib.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

/**
 * @param {{ workers: number, minBytes: number, maxBytes: number, afterMs: number }} plan
 * @returns figures in MB: rss_peak_flood_mb, rss_after_flood_mb, and the child's raw report
 */
export async function benchFlood({ workers, minBytes, maxBytes, afterMs }) {
  // WDBENCH_FLOOD_DIR keeps the generated files between runs (while working on the figures).
  const keep = process.env.WDBENCH_FLOOD_DIR;
  if (keep) mkdirSync(keep, { recursive: true });
  const dir = keep || tempDir('flood');
  const state = keep ? tempDir('flood-state') : dir;
  const files = [];
  const t = now();
  for (let i = 0; i < workers; i++) {
    const file = path.join(dir, `out-${i + 1}.txt`);
    const bytes = Math.round(minBytes + ((maxBytes - minBytes) * i) / Math.max(1, workers - 1));
    if (!existsSync(file) || statSync(file).size !== bytes) generateOutput(file, bytes, 100 + i);
    files.push(file);
  }
  log(`flood: generated ${workers} files in ${Math.round(now() - t)} ms`);
  const nodeArgs = (process.env.WDBENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const { stdout, stderr } = await run(
    process.execPath,
    [...nodeArgs, path.join(ROOT, 'bench', 'deck-flood.js'), path.join(state, 'state'), state, String(afterMs), ...files],
    { timeout: 300_000 + afterMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
  );
  if (stderr.trim()) process.stderr.write(stderr);
  // The child's last line: its JSON report (see deck-flood.js).
  const report = JSON.parse(/** @type {string} */ (stdout.trim().split('\n').at(-1)));
  const missing = report.lastRows.filter((/** @type {string[]} */ rows) => !rows.some((r) => r.includes('FLOOD-DONE')));
  if (missing.length) {
    throw new Error(`flood: ${missing.length} mirror(s) did not show the end of their output: ${JSON.stringify(missing)}`);
  }
  log(
    `flood: ${workers} workers done in ${report.floodMs} ms; peak ${report.peakRss} MB, at stop ${report.stopped.rss} MB, ` +
      `${afterMs / 1000} s later ${report.after.rss} MB${report.gcRss !== null ? `, after a forced GC ${report.gcRss} MB` : ''}`,
  );
  return { rss_peak_flood_mb: report.peakRss, rss_after_flood_mb: report.after.rss, flood_ms: report.floodMs, flood_report: report };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  /** @type {(name: string, dflt: number) => number} */
  const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
  const quick = args.includes('--quick');
  try {
    const result = await benchFlood({
      workers: opt('workers', quick ? 4 : 10),
      minBytes: opt('min', quick ? 8 : 20) * MB,
      maxBytes: opt('max', quick ? 12 : 30) * MB,
      afterMs: opt('after', 30_000),
    });
    if (!args.includes('--samples')) delete result.flood_report.samples;
    process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  } finally {
    cleanup();
  }
}
