#!/usr/bin/env node
// `npm run chaos`: the chaos suite (test/chaos/*.test.ts) in its full size,
// one check at a time, against the built binary; then a table of every
// check's result and figures.
//   --small    run the small size (what `npm test` runs)
//   --report   print the table from the last run's figures, run nothing
// Figures are JSON files in $WORKERDECK_CHAOS_OUT, else <tmpdir>/workerdeck-chaos-<size>.
// Exits with vitest's exit code (0 when every check passed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Set(process.argv.slice(2));
const size = args.has('--small') ? 'small' : 'full';
const OUT = process.env.WORKERDECK_CHAOS_OUT || path.join(os.tmpdir(), `workerdeck-chaos-${size}`);
const RESULTS = path.join(OUT, 'vitest.json');

/** The checks in the order the issue lists them: file test/chaos/<name>.test.ts writes <name>.json. */
const CHECKS = ['mail', 'hostile-mail', 'exit-paths', 'attach', 'faults', 'memory'];

let code = 0;
if (!args.has('--report')) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  process.stderr.write(`[chaos] running the ${size} size; figures go to ${OUT}\n`);
  const run = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      'test/chaos',
      // One check at a time: the memory and timing figures must not share the machine with another check.
      '--no-file-parallelism',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${RESULTS}`,
    ],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, WORKERDECK_CHAOS: size, WORKERDECK_CHAOS_OUT: OUT } },
  );
  code = run.status ?? 1;
}
process.stdout.write(report());
process.exitCode = code;

/** The table: one block per check with its result and figures, then the acceptance line. */
function report() {
  const results = readResults();
  const figures = Object.fromEntries(
    CHECKS.map((c) => {
      const file = path.join(OUT, `${c}.json`);
      return [c, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null];
    }),
  );
  const sizes = [...new Set(Object.values(figures).filter(Boolean).map((f) => f.size))];
  const lines = [];
  lines.push('');
  lines.push(`workerdeck chaos suite (${sizes.join(', ') || size} size), ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}`);
  lines.push('');
  for (const check of CHECKS) {
    const f = figures[check];
    const result = results.get(check) ?? (f ? '?' : 'not run');
    lines.push(`${check.padEnd(14)} ${result}`);
    if (!f) continue;
    for (const [key, value] of Object.entries(f.figures)) lines.push(`    ${key.padEnd(34)} ${format(value)}`);
    if (f.rows?.length) lines.push(...table(f.rows).map((l) => `    ${l}`));
    lines.push('');
  }
  const m = figures.mail?.figures;
  const h = figures['hostile-mail']?.figures;
  const e = figures['exit-paths']?.figures;
  lines.push(
    `Acceptance: mail lost ${m?.lost ?? '?'}, duplicated ${m?.duplicated ?? '?'}, missing audit lines ${m?.missing_audit_lines ?? '?'}; ` +
      `hostile files ${h?.files?.toLocaleString('en') ?? '?'} with ${h?.crashes ?? '?'} crashes; ` +
      `${e?.paths ?? '?'} exit paths with ${e?.leftover_processes ?? '?'} leftover processes.`,
  );
  lines.push(`Figures: ${OUT}`);
  return `${lines.join('\n')}\n`;
}

/** check name -> "pass" | "FAIL (n of m tests)", from vitest's JSON report. */
function readResults() {
  const out = new Map();
  if (!existsSync(RESULTS)) return out;
  /** @type {{ testResults?: { name: string, status: string, assertionResults?: { status: string, title: string }[] }[] }} */
  const json = JSON.parse(readFileSync(RESULTS, 'utf8'));
  for (const file of json.testResults ?? []) {
    const check = path.basename(file.name).replace(/\.test\.ts$/, '');
    const tests = file.assertionResults ?? [];
    const failed = tests.filter((t) => t.status !== 'passed');
    out.set(check, failed.length === 0 && file.status === 'passed' ? 'pass' : `FAIL (${failed.length} of ${tests.length} tests: ${failed.map((t) => t.title.split(':')[0]).join('; ')})`);
  }
  return out;
}

/** @param {unknown} value a figure */
function format(value) {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en') : String(value);
  return String(value);
}

/**
 * Rows of per-case figures as an aligned text table.
 * @param {Record<string, unknown>[]} rows
 * @returns {string[]} one line per row, after a header line
 */
function table(rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = [keys, ...rows.map((r) => keys.map((k) => format(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((row) => String(row[i]).length)));
  return cells.map((row) => row.map((c, i) => String(c).padEnd(/** @type {number} */ (widths[i]))).join('  ').trimEnd());
}
