// Chaos: every exit path of the deck (the table in exit-paths.ts), each with
// workers whose background job ignores HUP and TERM. After each: the deck is
// gone within the deadline, the terminal is restored where there is one, and
// no process of any worker's session is left.
import { describe, expect, it } from 'vitest';
import { processGone } from '../helpers/deck.js';
import { deckFixture, serverPid } from '../helpers/e2e.js';
import { waitFor, type DeckTerminal } from '../helpers/term.js';
import { FULL, leftovers, listProcesses, ownProcesses, recordFigures, sessionOf, sized, spawnShellWorker, type Figure } from './chaos.js';
import { EXIT_PATHS } from './exit-paths.js';

const WORKERS = sized(1, 2);
/** The bound for "the process is gone", in ms; the small size allows more for a loaded CI machine. */
const EXIT_DEADLINE_MS = sized(4000, 2000);
/** How long after the deck is gone (or, on restart, drawn again) its workers' processes may take to go. */
const REAP_DEADLINE_MS = 2000;

/**
 * The terminal's state as the deck left it: each mode the deck turned on was
 * turned off after it. (Raw mode cannot be read back: the PTY is gone with
 * the deck.)
 * @returns the modes that were left on; empty when restored
 */
function unrestoredModes(d: DeckTerminal): string[] {
  const left: string[] = [];
  const last = (s: string) => d.raw.lastIndexOf(s);
  if (last('\u001b[?1049l') < last('\u001b[?1049h')) left.push('alternate screen');
  if (last('\u001b[?25h') < last('\u001b[?25l')) left.push('hidden cursor');
  if (last('\u001b[?2004l') < last('\u001b[?2004h')) left.push('bracketed paste');
  return left;
}

const settles = (check: () => boolean, what: string, ms: number) => waitFor(check, what, ms, undefined, 20).then(() => true, () => false);

describe('chaos: exit paths (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();
  const rows: Record<string, Figure>[] = [];

  for (const exitPath of EXIT_PATHS) {
    it(
      `${exitPath.name}: the ${exitPath.mustEnd} is gone within ${EXIT_DEADLINE_MS} ms${exitPath.restoresTerminal ? ', the terminal is restored' : ''}, ${exitPath.workers === 'gone' ? 'no worker process is left' : 'the workers run on'}`,
      async () => {
        const env = exitPath.env?.(f.home.dir) ?? {};
        const d = owned.deck(f.open(['--agent', 'shell'], 120, 40, env));
        await d.waitForText('q quit');
        const tags: number[] = [];
        const sessions: number[] = [];
        for (let k = 0; k < WORKERS; k++) {
          const tag = owned.tag();
          tags.push(tag);
          // A background job in its own process group that ignores HUP and TERM: only a reap of the whole session ends it.
          const worker = await spawnShellWorker(d, f.list, `bash -c 'trap "" HUP TERM; sleep ${tag}' & echo job-${tag}`, `job-${k}`);
          sessions.push(worker.pid);
          owned.sessions.push({ sid: worker.pid, stateDir: f.stateDir });
        }
        await waitFor(
          () => tags.every((t) => listProcesses().some((p) => p.cmdline === `sleep ${t}`)),
          'every worker job to run',
          15_000,
        );
        // The job must be in the worker's session, or the check below would look in the wrong place.
        for (const t of tags) {
          const job = listProcesses().find((p) => p.cmdline === `sleep ${t}`);
          expect(job && sessions.includes(job.session), `sleep ${t} runs in a worker's session`).toBe(true);
        }
        expect(sessions.every((s) => sessionOf(s) === s), 'each worker leads its own session').toBe(true);
        // The scan finds each worker's shell and job by session and environment (so "none left" below can fail).
        expect(leftovers([], sessions, f.stateDir).length, 'worker processes the scan finds').toBeGreaterThanOrEqual(2 * WORKERS);

        const server = serverPid(f.stateDir) ?? 0;
        const deckPid = exitPath.mustEnd === 'client' ? d.pty.pid : server;
        await exitPath.trigger({ deck: d, server, dir: f.home.dir });
        const asked = Date.now();
        const gone = await settles(() => processGone(deckPid), `the ${exitPath.mustEnd} (pid ${deckPid}) to be gone`, EXIT_DEADLINE_MS);
        const exitMs = gone ? Date.now() - asked : null;
        if (!gone) await settles(() => processGone(deckPid), `the ${exitPath.mustEnd} to be gone at all`, 15_000);
        const goneLate = processGone(deckPid);
        // The TUI goes too when its server does (it says the server went away).
        if (exitPath.mustEnd === 'server') await settles(() => processGone(d.pty.pid), 'the TUI to follow its server', 10_000);

        let restartedGone: boolean | null = null;
        let left: ReturnType<typeof leftovers>;
        if (exitPath.restart) {
          const again = owned.deck(f.open());
          await again.waitForText('q quit');
          await settles(() => leftovers(tags, sessions, f.stateDir).length === 0, 'the old workers to be gone after the restart', REAP_DEADLINE_MS);
          left = leftovers(tags, sessions, f.stateDir);
          again.type('q');
          restartedGone = await settles(() => processGone(again.pty.pid), 'the restarted deck to be gone', 10_000);
        } else if (exitPath.workers === 'gone') {
          await settles(() => leftovers(tags, sessions, f.stateDir).length === 0, 'every worker process to be gone', REAP_DEADLINE_MS);
          left = leftovers(tags, sessions, f.stateDir);
        } else {
          left = leftovers(tags, sessions, f.stateDir);
        }
        const modes = exitPath.restoresTerminal || exitPath.leavesModesOn ? unrestoredModes(d) : [];
        rows.push({
          path: exitPath.name,
          workers: WORKERS,
          exit_ms: exitMs,
          deck_gone: gone,
          terminal_restored: exitPath.restoresTerminal ? modes.length === 0 : null,
          leftover_processes: exitPath.workers === 'gone' ? left.length : null,
          workers_live: exitPath.workers === 'live' ? left.length >= 2 * WORKERS : null,
          exit: d.exit ? (d.exit.signal ? `signal ${d.exit.signal}` : d.exit.exitCode) : null,
        });
        recordFigures('exit-paths', summary(rows), rows);

        expect.soft(gone, `the deck is gone within ${EXIT_DEADLINE_MS} ms (gone at all: ${goneLate})`).toBe(true);
        if (exitPath.restoresTerminal) expect.soft(modes, 'terminal modes left on').toEqual([]);
        if (exitPath.leavesModesOn) expect(modes, 'the modes a killed deck could not turn off').toContain('alternate screen');
        if (exitPath.workers === 'gone') {
          expect.soft(left.map((p) => `${p.pid} [${p.state}] ${p.cmdline}`), 'processes of the workers\' sessions left').toEqual([]);
        } else {
          expect.soft(left.length, 'the workers run on in the server').toBeGreaterThanOrEqual(2 * WORKERS);
        }
        if (restartedGone !== null) expect.soft(restartedGone, 'the restarted deck quit').toBe(true);
      },
      FULL ? 120_000 : 60_000,
    );
  }
});

/** The figures of the paths run so far. */
function summary(rows: Record<string, Figure>[]): Record<string, Figure> {
  const times = rows.map((r) => r.exit_ms).filter((v): v is number => typeof v === 'number');
  return {
    paths: rows.length,
    leftover_processes: rows.reduce((n, r) => n + (typeof r.leftover_processes === 'number' ? r.leftover_processes : 0), 0),
    decks_not_gone_in_time: rows.filter((r) => r.deck_gone !== true).length,
    terminals_not_restored: rows.filter((r) => r.terminal_restored === false).length,
    slowest_exit_ms: times.length ? Math.max(...times) : null,
  };
}
