// Chaos: the deck's memory through a flood of output from many workers at once:
// resident memory before, at the peak, and through the window after the output
// stops. Full size: 10 workers each print 16 MiB of coloured terminal output;
// the server's peak must stay under 400 MB (MiB, as /proc counts) and it must be back under
// 250 MB within 30 s after the output stops; the TUI client stays under 300 MB throughout. The small size floods less, reports the
// same figures and checks only that the deck came through it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOutput } from '../../bench/gen-output.js';
import { deckFixture, serverPid } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';
import { FULL, MB, ownProcesses, recordFigures, rssBytes, sized, spawnShellWorker } from './chaos.js';

const WORKERS = sized(2, 10);
const FLOOD_BYTES = sized(1, 16) * MB;
/** The observation window after the output stops, in ms: the figure's definition in the full size. */
const WINDOW_MS = sized(5000, 30_000);
const SAMPLE_MS = 250;
const PEAK_LIMIT_MB = 400;
const AFTER_LIMIT_MB = 250;
/** The TUI client draws one screen at a time; its peak in a flood stays under this. */
const TUI_LIMIT_MB = 300;

describe('chaos: memory through an output flood (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it(
    `${WORKERS} workers x ${FLOOD_BYTES / MB} MiB of output: RSS before, at the peak and ${WINDOW_MS / 1000} s after`,
    async () => {
      const flood = path.join(f.home.dir, 'flood.txt');
      generateOutput(flood, FLOOD_BYTES, 7);
      const go = path.join(f.home.dir, 'go');
      const done = (k: number) => path.join(f.home.dir, `done-${k}`);
      const d = owned.deck(f.open());
      await d.waitForText('q quit');
      const ids: string[] = [];
      for (let k = 0; k < WORKERS; k++) {
        // Each worker waits for the same cue, so the flood starts at once everywhere.
        const task = `until [ -e '${go}' ]; do sleep 0.05; done; cat '${flood}'; echo; echo FLOOD-END-${k}; : > '${done(k)}'`;
        const worker = await spawnShellWorker(d, f.list, task, `flood-${k}`);
        owned.sessions.push({ sid: worker.pid, stateDir: f.stateDir });
        ids.push(worker.id);
      }
      // The deck's own processes: the server, which owns the workers, their mirrors and
      // transcripts (the targets apply to it: it is what held the flood when the deck was one
      // process), and the TUI client, which holds one screen; each sampled, and their sum.
      const server = serverPid(f.stateDir) ?? 0;
      const tui = d.pty.pid;
      const mb = (bytes: number | null) => (bytes === null ? null : Math.round((bytes / MB) * 10) / 10);
      const before = { server: rssBytes(server) ?? 0, tui: rssBytes(tui) ?? 0 };

      const samples: { at: number; rss: number; tui: number }[] = [];
      const sampler = setInterval(() => {
        const rss = rssBytes(server);
        const client = rssBytes(tui);
        if (rss !== null && client !== null) samples.push({ at: Date.now(), rss, tui: client });
      }, SAMPLE_MS);
      try {
        writeFileSync(go, '');
        const started = Date.now();
        await waitFor(
          () => d.exit !== null || [...Array(WORKERS).keys()].every((k) => existsSync(done(k))),
          'every worker to finish its flood',
          sized(120_000, 400_000),
          () => d.screen(),
          100,
        );
        const stoppedAt = Date.now();
        const floodMs = stoppedAt - started;
        // The window after the output stops is the figure itself: sample through all of it.
        await waitFor(() => d.exit !== null || Date.now() - stoppedAt >= WINDOW_MS, 'the observation window', WINDOW_MS + 5000, undefined, SAMPLE_MS);
        clearInterval(sampler);
        const peak = Math.max(...samples.map((s) => s.rss));
        const after = samples.at(-1)?.rss ?? null;
        const tuiPeak = Math.max(...samples.map((s) => s.tui));
        const tuiAfter = samples.at(-1)?.tui ?? null;
        const sumPeak = Math.max(...samples.map((s) => s.rss + s.tui));
        const firstUnder = samples.find((s) => s.at >= stoppedAt && s.rss < AFTER_LIMIT_MB * MB);
        const crashed = d.exit !== null;
        recordFigures('memory', {
          workers: WORKERS,
          flood_mib_per_worker: FLOOD_BYTES / MB,
          flood_s: Math.round(floodMs / 100) / 10,
          rss_before_mb: mb(before.server),
          rss_peak_mb: mb(peak),
          [`rss_${WINDOW_MS / 1000}s_after_mb`]: mb(after),
          tui_rss_before_mb: mb(before.tui),
          tui_rss_peak_mb: mb(tuiPeak),
          [`tui_rss_${WINDOW_MS / 1000}s_after_mb`]: mb(tuiAfter),
          server_plus_tui_peak_mb: mb(sumPeak),
          under_250_mb_after_s: firstUnder ? Math.round((firstUnder.at - stoppedAt) / 100) / 10 : null,
          window_s: WINDOW_MS / 1000,
          crashed,
        });

        expect(crashed, 'the deck crashed in the flood').toBe(false);
        // The deck read each worker's output to its end: every transcript ends with the worker's end marker.
        const transcriptEnd = (k: number) => {
          try {
            return readFileSync(path.join(f.stateDir, 'transcripts', `${ids[k]}.log`), 'utf8').slice(-200);
          } catch {
            return '';
          }
        };
        await waitFor(() => ids.every((_, k) => transcriptEnd(k).includes(`FLOOD-END-${k}`)), 'every transcript to end with its marker', 60_000);
        expect(samples.length, 'RSS samples taken').toBeGreaterThan(WINDOW_MS / SAMPLE_MS / 2);
        if (FULL) {
          expect.soft(mb(peak), `the server's peak RSS under ${PEAK_LIMIT_MB} MB`).toBeLessThan(PEAK_LIMIT_MB);
          expect.soft(mb(after), `the server's RSS ${WINDOW_MS / 1000} s after the flood under ${AFTER_LIMIT_MB} MB`).toBeLessThan(AFTER_LIMIT_MB);
          // The client holds one screen whatever the workers print: a flood must not grow it.
          expect.soft(mb(tuiPeak), `the TUI's peak RSS under ${TUI_LIMIT_MB} MB`).toBeLessThan(TUI_LIMIT_MB);
        }
      } finally {
        clearInterval(sampler);
      }
      d.type('q');
      await d.waitForExit();
    },
    FULL ? 600_000 : 120_000,
  );
});
