#!/usr/bin/env node
// `npm run bench`: workerdeck's speed, latency and footprint, each measured in
// the same run as its baseline. Prints a table, or with --json one JSON
// object on stdout (progress goes to stderr). --quick: fewer repetitions,
// the whole suite in about 2 minutes on a 2-core machine.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { benchAttach } from './attach.js';
import { benchEcho } from './echo.js';
import { benchFlood } from './flood.js';
import { cleanup, log, now, round } from './lib.js';
import { benchMail } from './mail.js';
import { benchMailScale } from './mail-scale.js';
import { benchRadar } from './radar.js';
import { benchUiVsTmux } from './ui-vs-tmux.js';
import { benchScale } from './scale.js';
import { benchStartup } from './startup.js';
import { benchThroughput } from './throughput.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const only = process.argv
  .slice(2)
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

const MB = 1024 * 1024;
const PLAN = quick
  ? { throughputReps: 1, mailMessages: 200, echoKeys: 200, scaleWorkers: 32, scaleSeconds: 10, scaleIdleSeconds: 10, startupRuns: 3, mailScaleRuns: 3, attachReps: 1, radarEvents: 5, uiReps: 1, uiBytes: 16 * MB, flood: { workers: 10, minBytes: 4 * MB, maxBytes: 6 * MB, afterMs: 10_000 } }
  : { throughputReps: 3, mailMessages: 200, echoKeys: 200, scaleWorkers: 32, scaleSeconds: 20, scaleIdleSeconds: 30, startupRuns: 10, mailScaleRuns: 5, attachReps: 3, radarEvents: 15, uiReps: 3, uiBytes: 64 * MB, flood: { workers: 10, minBytes: 20 * MB, maxBytes: 30 * MB, afterMs: 30_000 } };

/**
 * What every phase returns, merged.
 * @typedef {Awaited<ReturnType<typeof benchStartup>> & Awaited<ReturnType<typeof benchThroughput>> &
 *   Awaited<ReturnType<typeof benchMail>> & Awaited<ReturnType<typeof benchEcho>> & Awaited<ReturnType<typeof benchScale>> &
 *   Awaited<ReturnType<typeof benchAttach>> & Awaited<ReturnType<typeof benchFlood>> & Awaited<ReturnType<typeof benchMailScale>> & Awaited<ReturnType<typeof benchRadar>> & Awaited<ReturnType<typeof benchUiVsTmux>>} Results
 */
/** @typedef {{ [K in keyof Results]: Results[K] extends number ? K : never }[keyof Results]} Figure a numeric result */
/**
 * A row of the table: figure, unit, what it measures, the target's test (null: no target), the target as text.
 * @type {[Figure, string, string, ((v: number) => boolean) | null, string?][]}
 */
const KEYS = [
  ['throughput_mb_s', 'MB/s', 'deck: 64 MiB cat, spawn to exit, mirror parsed', null],
  ['throughput_vs_tmux', 'x', 'tmux pane time / deck time', (v) => v >= 1.0, '>= 1.0'],
  ['mail_p50_ms', 'ms', 'mail rename to the frame that shows it, median', null],
  ['mail_p99_ms', 'ms', 'same, 99th percentile', (v) => v < 25, '< 25'],
  ['echo_idle_p50_ms', 'ms', 'attached keystroke echo, no load, median', (v) => v < 2, '< 2'],
  ['echo_tmux_idle_p50_ms', 'ms', 'the same through a tmux client attached to a pane running cat, median', null],
  ['echo_idle_vs_tmux', 'x', 'echo_idle_p50_ms / echo_tmux_idle_p50_ms', (v) => v <= 1.5, '<= 1.5'],
  ['echo_node_relay_p50_ms', 'ms', 'the floor of a Node client/server pair: bench/relay, the same hops relaying to cat and nothing else, median', null],
  ['echo_node_relay_vs_tmux', 'x', 'echo_node_relay_p50_ms / echo_tmux_idle_p50_ms', null],
  ['echo_p50_ms', 'ms', 'echo while 2 workers flood output, median', null],
  ['echo_p99_ms', 'ms', 'same, 99th percentile', (v) => v < 10, '< 10'],
  ['echo_tmux_p50_ms', 'ms', 'a tmux client, keys into cat while 2 background windows of its session flood, median', null],
  ['echo_tmux_p99_ms', 'ms', 'same, 99th percentile', null],
  ['ui_throughput_vs_tmux', 'x', 'tmux client time / TUI time, the printing worker in the preview (64 MiB; 16 with --quick)', (v) => v >= 1.5, '>= 1.5'],
  ['attached_throughput_vs_tmux', 'x', 'tmux client time / TUI time, attached to the printing worker', (v) => v >= 1.2, '>= 1.2'],
  ['attach_mb_s', 'MB/s', 'attached TUI, 16 MiB cat through the server to the outer terminal', null],
  ['scale32_cpu_cores', 'cores', 'server + TUI CPU s per wall s, 32 workers x 10 lines/s', (v) => v < 1.0, '< 1.0'],
  ['scale32_idle_cpu', 'cores', 'server + TUI CPU s per wall s, the same 32 workers silent, over 30 s (10 s with --quick)', (v) => v < 0.02, '< 0.02'],
  ['scale32_rss_mb', 'MB', 'server + TUI peak summed RSS, 32 workers', (v) => v < 200, '< 200'],
  ['startup_ms', 'ms', 'exec to first full frame, server running, median', (v) => v < 150, '< 150'],
  ['startup_cold_ms', 'ms', 'same, when the client starts the server, median', null],
  ['startup_mail_ms', 'ms', 'same with 5,000 handled messages, server running, median', null],
  ['startup_empty_ms', 'ms', 'same on an empty state dir, alternated with the one above', null],
  ['startup_mail_cold_ms', 'ms', '5,000 handled messages, the client starts the server, median', null],
  ['startup_empty_cold_ms', 'ms', 'same on an empty state dir, alternated', null],
  ['mail_drain_per_s', 'msg/s', '3,000 messages landing at once, handled while the TUI draws', (v) => v >= 2000, '>= 2000'],
  ['kill_backlog_ms', 'ms', 'workerdeck kill-server with 3,000 messages waiting: command wall time, node start-up included', null],
  ['kill_backlog_left', 'files', 'of those 3,000, left in mail/new for the next start', null],
  ['rss_peak_flood_mb', 'MB', 'deck peak RSS (VmHWM, mirror thread included), 10 workers each cat 20-30 MB (4-6 with --quick)', (v) => v < 400, '< 400'],
  ['rss_after_flood_mb', 'MB', 'deck RSS 30 s after that output stopped (10 s with --quick)', (v) => v < 250, '< 250'],
  ['radar32_cpu_s', 's', 'conflict radar CPU (its own + its git) per triggering event, 32 workers, median', (v) => v < 1.0, '< 1.0'],
];

function machine() {
  let tmux = null;
  try {
    tmux = execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    tmux = null;
  }
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? null,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tmux,
  };
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = true;
    log(`${signal}: stopping`);
    cleanup();
    process.exit(130);
  });
}
process.on('exit', () => cleanup());

/** @type {Partial<Results>} */
const results = {};
/** @type {string[]} */
const errors = [];
const started = now();
/** @type {[string, () => Promise<Partial<Results>>][]} */
const phases = [
  ['startup', () => benchStartup({ runs: PLAN.startupRuns })],
  ['throughput', () => benchThroughput({ reps: PLAN.throughputReps })],
  ['mail', () => benchMail({ messages: PLAN.mailMessages })],
  ['mailscale', () => benchMailScale({ handled: 5000, backlog: 3000, runs: PLAN.mailScaleRuns })],
  ['echo', () => benchEcho({ keys: PLAN.echoKeys })],
  ['scale', () => benchScale({ workers: PLAN.scaleWorkers, seconds: PLAN.scaleSeconds, idleSeconds: PLAN.scaleIdleSeconds })],
  ['attach', () => benchAttach({ reps: PLAN.attachReps })],
  ['flood', () => benchFlood(PLAN.flood)],
  ['ui', () => benchUiVsTmux({ reps: PLAN.uiReps, bytes: PLAN.uiBytes })],
  ['radar', () => benchRadar({ workers: 32, events: PLAN.radarEvents })],
];
log(`${quick ? 'quick' : 'full'} run on ${os.cpus().length} cores, Node ${process.version}`);
for (const [name, phase] of phases) {
  if (only && !only.includes(name)) continue;
  if (interrupted) break;
  const t = now();
  log(`${name}: start`);
  try {
    Object.assign(results, await phase());
    log(`${name}: done in ${((now() - t) / 1000).toFixed(1)} s`);
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    errors.push(`${name}: ${error.message}`);
    log(`${name}: FAILED: ${error.stack ?? error.message}`);
  }
  cleanup();
}

/** @type {Partial<Record<Figure, number | null>>} */
const figures = {};
for (const [key] of KEYS) figures[key] = round(results[key] ?? NaN, key.endsWith('_cpu') ? 4 : key.endsWith('_cores') || key.endsWith('_tmux') ? 3 : 2);
const details = {
  tmux_mb_s: round(results.tmux_mb_s ?? NaN),
  throughput_deck_ms: results.deck_ms?.map((v) => round(v, 0)),
  throughput_tmux_ms: results.tmux_ms?.map((v) => round(v, 0)),
  echo_idle_p99_ms: round(results.echo_idle_p99_ms ?? NaN),
  scale32_rss_end_mb: round(results.scale32_rss_end_mb ?? NaN),
  scale32_idle_cpu_tui: round(results.scale32_idle_cpu_tui ?? NaN, 4),
  scale32_idle_cpu_server: round(results.scale32_idle_cpu_server ?? NaN, 4),
  startup_runs_ms: results.startup_runs_ms?.map((v) => round(v, 0)),
  startup_cold_runs_ms: results.startup_cold_runs_ms?.map((v) => round(v, 0)),
  attach_ms: results.attach_ms?.map((v) => round(v, 0)),
  radar32: results.radar32_full_cpu_s === undefined ? undefined : { max_cpu_s: round(results.radar32_cpu_max_s ?? NaN, 3), first_full_run_cpu_s: round(results.radar32_full_cpu_s, 3), workers_in_conflict: results.radar32_conflicted },
  flood: results.flood_report
    ? {
        workers: PLAN.flood.workers,
        mb_each: [PLAN.flood.minBytes / MB, PLAN.flood.maxBytes / MB],
        after_s: PLAN.flood.afterMs / 1000,
        output_ms: results.flood_ms,
        rss_at_stop_mb: results.flood_report.stopped.rss,
        flow: results.flood_report.after.flow,
      }
    : null,
  timeouts: { mail: results.mail_timeouts, echo: results.echo_timeouts },
};
const out = {
  machine: machine(),
  quick,
  seconds: round((now() - started) / 1000, 1),
  ...figures,
  details,
  ...(errors.length ? { errors } : {}),
};

if (json) {
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const m = out.machine;
  const lines = [
    `workerdeck bench (${quick ? 'quick' : 'full'}) on ${m.cores} cores (${m.cpu}), ${m.memory_gb} GB, ${m.os}, Node ${m.node}, ${m.tmux ?? 'no tmux'}`,
    '',
    '| figure | value | target | what it measures |',
    '|---|---:|---|---|',
  ];
  for (const [key, unit, what, ok, target] of KEYS) {
    const v = figures[key] ?? null;
    const mark = ok && v !== null ? (ok(v) ? ' ✓' : ' ✗') : '';
    lines.push(`| \`${key}\` | ${v === null ? 'n/a' : `${v} ${unit}`}${mark} | ${target ?? ''} | ${what} |`);
  }
  lines.push('', `tmux pane: ${out.details.tmux_mb_s} MB/s. Suite took ${out.seconds} s.`);
  if (errors.length) lines.push('', 'Errors:', ...errors.map((e) => `  ${e}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}
process.exitCode = errors.length ? 1 : 0;
