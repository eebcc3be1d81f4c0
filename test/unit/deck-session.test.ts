import { afterEach, describe, expect, it } from 'vitest';
import type { Deck } from '../../src/deck.js';
import { fakeSpawner, type FakePty } from '../../src/pty/fake-pty.js';
import { makeDeck, request, testPresets } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

let dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

/** A deck on FakePtys; `job` stands for a process the worker left in its PTY's session. */
async function rig(): Promise<{ deck: Deck; pty: FakePty; id: string; job: number }> {
  const cwd = tempDir('wd-dsess-cwd-');
  const state = tempDir('wd-dsess-state-');
  dirs.push(cwd, state);
  const spawner = fakeSpawner();
  const { deck } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets({ custom: { command: '/bin/sh' } }) });
  const worker = await deck.spawn(request({ agent: 'custom', name: 'w' }));
  const pty = spawner.spawned[0]!;
  const job = pty.pid + 100_000;
  pty.session.push(job);
  return { deck, pty, id: worker.id, job };
}

/** Whether a promise has settled, without waiting for it. */
function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  void promise.finally(() => (done = true));
  return () => done;
}

describe("the Deck ends a worker's whole PTY session", () => {
  it('stop() signals the session, SIGKILLs what is left after the grace, and says stopped only once the session is empty', async () => {
    const { deck, pty, id, job } = await rig();
    const stopping = deck.stop(id, 0);
    const stopped = settled(stopping);
    expect(pty.signals.slice(0, 3)).toEqual(['SIGTERM', 'SIGHUP', 'SIGCONT']);
    pty.emitExit({ exitCode: null, signal: 15 });
    await waitFor(() => pty.signals.includes('SIGKILL'), 'a SIGKILL for the job that is left');
    expect(deck.getState().workers[id]?.status).toBe('running');
    expect(stopped()).toBe(false);
    pty.session = pty.session.filter((pid) => pid !== job);
    await stopping;
    expect(deck.getState().workers[id]).toMatchObject({ status: 'stopped', signal: 15, reason: 'stopped by the operator' });
  });

  it('a worker that exits by itself: what it left is signalled, and it ends with its own exit code once nothing is left', async () => {
    const { deck, pty, id, job } = await rig();
    pty.emitExit({ exitCode: 0, signal: null });
    await waitFor(() => pty.signals.includes('SIGHUP'), 'the leftover job to be signalled');
    expect(pty.signals.slice(0, 3)).toEqual(['SIGTERM', 'SIGHUP', 'SIGCONT']);
    expect(deck.isRunning(id)).toBe(true);
    pty.session = pty.session.filter((pid) => pid !== job);
    await deck.whenExited(id);
    expect(deck.getState().workers[id]).toMatchObject({ status: 'exited', exitCode: 0, reason: null });
  });

  it('a worker that exits by itself and leaves nothing is not signalled at all', async () => {
    const { deck, pty, id, job } = await rig();
    pty.session = pty.session.filter((pid) => pid !== job);
    pty.emitExit({ exitCode: 0, signal: null });
    await deck.whenExited(id);
    expect(pty.signals).toEqual([]);
    expect(deck.getState().workers[id]?.status).toBe('exited');
  });

  it('shutdown() shortens the grace of a stop under way', async () => {
    const { deck, pty, id } = await rig();
    void deck.stop(id, 60_000);
    const closing = deck.shutdown(0);
    await waitFor(() => pty.signals.includes('SIGKILL'), 'the SIGKILL of the shorter grace');
    pty.session = [];
    pty.emitExit({ exitCode: null, signal: 9 });
    await closing;
    expect(deck.getState().workers[id]?.status).toBe('stopped');
  });

  it('killAllNow() SIGKILLs every session synchronously', async () => {
    const { deck, pty } = await rig();
    deck.killAllNow();
    expect(pty.signals[0]).toBe('SIGKILL');
    pty.session = [];
    pty.emitExit({ exitCode: null, signal: 9 });
  });
});
