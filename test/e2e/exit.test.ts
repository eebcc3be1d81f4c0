import { renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deckFixture, serverPid } from '../helpers/e2e.js';
import { processGone } from '../helpers/deck.js';
import { commandLineOf, killIfLeft, sessionMembers, stubbornJob } from '../helpers/session.js';
import { waitFor, type DeckTerminal } from '../helpers/term.js';

/**
 * Every way out of the deck ends its workers' whole sessions, and the deck
 * process itself. The product target is 2 s from the signal to a gone deck;
 * tests wait up to EXIT_DEADLINE_MS, a generous bound on a shared 2-core
 * machine, so that a deck that lingers (or never exits) fails.
 */
const EXIT_DEADLINE_MS = 4000;

describe('nothing escapes the deck (built binary at 120x40)', () => {
  const f = deckFixture();
  /** Pids the tests started through the deck; killed after each test if a failure left them. */
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) killIfLeft(pid);
  });

  /**
   * Spawn a shell worker through the form whose task starts a background job
   * that ignores SIGTERM and SIGHUP (as agents start dev servers).
   * @returns the worker's pid (its session id) and the job's pid
   */
  const spawnStubborn = async (d: DeckTerminal, seconds: number): Promise<{ leader: number; job: number }> => {
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type(`${stubbornJob('job', seconds)}\r`);
    await waitFor(() => f.list()[0]?.status === 'running', 'a running worker', 15_000, () => d.screen());
    const leader = f.list()[0]?.pid ?? 0;
    started.push(leader);
    // The job: the member of the worker's session running the sleep (its pid as drawn may wrap on the preview).
    let job = 0;
    await waitFor(
      () => {
        job = sessionMembers(leader).find((pid) => commandLineOf(pid) === `sleep ${seconds}`) ?? 0;
        return job > 0;
      },
      "the job in the worker's session",
      15_000,
      () => d.screen(),
    );
    started.push(job);
    return { leader, job };
  };

  it('x, y ends the whole session (SIGKILL after the 5 s grace) and only then says stopped', async () => {
    const d = f.open();
    const { leader, job } = await spawnStubborn(d, 7102);
    d.type('x');
    await d.waitForText(/Stop .+\? \(y\/n\)/);
    d.type('y');
    await waitFor(() => f.list()[0]?.status === 'stopped', 'the worker to be stopped', 20_000, () => d.screen());
    // Recorded as stopped only once nothing of its session runs.
    expect(processGone(job)).toBe(true);
    expect(sessionMembers(leader)).toEqual([]);
    await d.waitForText(/Stopped \S+\. Its worktree and branch are kept\./);
    d.type('q');
    await d.waitForExit();
  });

  it('Q, y ends every process of every worker session, then the server', async () => {
    const d = f.open();
    const { leader, job } = await spawnStubborn(d, 7106);
    const server = serverPid(f.stateDir) ?? 0;
    d.type('Q');
    await d.waitForText('Stop 1 running worker and the server, and quit?');
    d.type('y');
    const exit = await d.waitForExit(EXIT_DEADLINE_MS + 5000);
    expect(exit.exitCode).toBe(0);
    await waitFor(() => processGone(job) && processGone(server), 'the job and the server to be gone', EXIT_DEADLINE_MS);
    expect(sessionMembers(leader)).toEqual([]);
  });

  const ways = [
    // node-pty's UnixTerminal closes its master side with destroy(), which its typings leave out.
    ['the terminal closes', (d: DeckTerminal) => (d.pty as unknown as { destroy(): void }).destroy()],
    ['SIGHUP', (d: DeckTerminal) => process.kill(d.pty.pid, 'SIGHUP')],
    ['SIGTERM', (d: DeckTerminal) => process.kill(d.pty.pid, 'SIGTERM')],
  ] as const;
  for (const [way, end] of ways) {
    it(`${way} with the state dir moved away: the deck is gone within the deadline, its workers live on; SIGTERM then ends the server and every worker process in time`, async () => {
      const d = f.open();
      const deckPid = d.pty.pid;
      started.push(deckPid);
      const { leader, job } = await spawnStubborn(d, 7107);
      const server = serverPid(f.stateDir) ?? 0;
      started.push(server);
      // Every write on the way out fails: state.json, events.jsonl, the lock.
      renameSync(f.stateDir, `${f.stateDir}-moved`);
      try {
        end(d);
        await waitFor(() => processGone(deckPid), `the deck to be gone after ${way}`, EXIT_DEADLINE_MS, () => d.screen());
        expect(processGone(job)).toBe(false);
        process.kill(server, 'SIGTERM');
        await waitFor(() => processGone(server), 'the server to be gone after SIGTERM', EXIT_DEADLINE_MS);
        expect(processGone(job)).toBe(true);
        expect(sessionMembers(leader)).toEqual([]);
      } finally {
        renameSync(`${f.stateDir}-moved`, f.stateDir);
      }
    });
  }
});
