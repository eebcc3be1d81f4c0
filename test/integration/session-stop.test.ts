import { describe, expect, it } from 'vitest';
import type { Deck } from '../../src/deck.js';
import type { Preset } from '../../src/agents/preset.js';
import { commandPreset, shellPreset } from '../../src/agents/shell.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { makeDeck, processGone, request, screenText, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { commandLineOf, killIfLeft, processGroupOf, sessionMembers, stubbornJob } from '../helpers/session.js';
import { waitFor } from '../helpers/term.js';

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

/** A deck on real node-pty with an interactive bash (job control on) as `shell`, plus the given presets. */
async function deckWith(extra: Record<string, Preset> = {}): Promise<Deck> {
  const cwd = tempDir('wd-sess-cwd-');
  const state = tempDir('wd-sess-state-');
  const presets = new Map<string, Preset>([['shell', shellPreset({ command: '/bin/bash', args: ['--norc', '--noprofile'] })]]);
  for (const [name, preset] of Object.entries(extra)) presets.set(name, preset);
  const { deck, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets });
  cleanups.push(async () => {
    await deck.shutdown(200);
    await registry.flush();
    cwd.cleanup();
    state.cleanup();
  });
  return deck;
}

/**
 * The pid the worker's screen reports as `<tag>=<pid>`, once it is whole:
 * followed by the line `nextLine` when given, else a member of the worker's
 * session. Tracked, and killed after the test if it is left.
 */
async function reportedPid(deck: Deck, id: string, tag: string, nextLine?: string): Promise<number> {
  const sid = deck.getState().workers[id]!.pid!;
  const pattern = new RegExp(`${tag}=(\\d+)${nextLine ? `\\n${nextLine}` : ''}`);
  let pid = 0;
  await waitFor(
    async () => {
      pid = Number(pattern.exec(await screenText(deck, id))?.[1] ?? 0);
      return pid > 0 && (nextLine !== undefined || sessionMembers(sid).includes(pid));
    },
    `${tag}'s pid`,
  );
  pids.push(pid);
  cleanups.push(() => killIfLeft(pid));
  return pid;
}

/** Records, at the moment the deck reports the worker's end, which of `watched` were still alive. */
function aliveAtExit(deck: Deck, id: string, watched: () => number[]): { reported: boolean; alive: number[] } {
  const seen = { reported: false, alive: [] as number[] };
  deck.subscribe((_state, event) => {
    if (event.type !== 'worker-exited' || event.id !== id) return;
    seen.reported = true;
    seen.alive = watched().filter((pid) => !processGone(pid));
  });
  return seen;
}

describe("stopping a worker ends every process of its PTY's session", () => {
  it('stop() ends a background job that ignores SIGTERM and SIGHUP in its own process group, and reports stopped only then', async () => {
    const deck = await deckWith();
    const worker = await deck.spawn(request({ agent: 'shell', name: 'sh', task: stubbornJob('sleeper', 7102) }));
    const leader = deck.getState().workers[worker.id]!.pid!;
    pids.push(leader);
    const sleeper = await reportedPid(deck, worker.id, 'sleeper');
    await waitFor(() => commandLineOf(sleeper) === 'sleep 7102', 'the job to become sleep 7102');
    // Job control put the job in a group of its own: signalling the worker's group cannot reach it.
    expect(processGroupOf(sleeper)).not.toBe(leader);
    expect(sessionMembers(leader)).toContain(sleeper);
    const seen = aliveAtExit(deck, worker.id, () => [leader, sleeper]);

    await deck.stop(worker.id, 300);

    expect(processGone(sleeper)).toBe(true);
    expect(sessionMembers(leader)).toEqual([]);
    expect(seen).toEqual({ reported: true, alive: [] });
    expect(deck.getState().workers[worker.id]).toMatchObject({ status: 'stopped', reason: 'stopped by the operator' });
  });

  it('shutdown() ends such jobs of every worker', async () => {
    const deck = await deckWith();
    const a = await deck.spawn(request({ agent: 'shell', name: 'a', task: stubbornJob('job-a', 7104) }));
    const b = await deck.spawn(request({ agent: 'shell', name: 'b', task: stubbornJob('job-b', 7105) }));
    const leaders = [a, b].map((w) => deck.getState().workers[w.id]!.pid!);
    pids.push(...leaders);
    const jobs = [await reportedPid(deck, a.id, 'job-a'), await reportedPid(deck, b.id, 'job-b')];

    await deck.shutdown(300);

    expect(jobs.filter((pid) => !processGone(pid))).toEqual([]);
    expect(leaders.flatMap(sessionMembers)).toEqual([]);
    expect([a, b].map((w) => deck.getState().workers[w.id]?.status)).toEqual(['stopped', 'stopped']);
  });

  it('a worker whose process exits by itself leaves nothing behind: the deck ends what it left in its session', async () => {
    // No job control here: the job stays in the worker's group, and outlives the worker that started it.
    const script = `sh -c 'trap "" HUP TERM; echo orphan=$$; exec sleep 7103' & sleep 0.5; echo leaving`;
    const deck = await deckWith({ leaver: commandPreset('leaver', { command: '/bin/sh', args: ['-c', script] }) });
    const worker = await deck.spawn(request({ agent: 'leaver', name: 'leaver' }));
    const leader = deck.getState().workers[worker.id]!.pid!;
    pids.push(leader);
    const orphan = await reportedPid(deck, worker.id, 'orphan', 'leaving');
    const seen = aliveAtExit(deck, worker.id, () => [orphan]);

    await waitFor(() => deck.getState().workers[worker.id]?.status === 'exited', 'the worker to end exited', 15_000);

    expect(seen).toEqual({ reported: true, alive: [] });
    expect(sessionMembers(leader)).toEqual([]);
    // The worker's own clean exit is what is recorded, not the deck's clean-up.
    expect(deck.getState().workers[worker.id]).toMatchObject({ exitCode: 0, signal: null });
  });
});
