import { afterEach, describe, expect, it } from 'vitest';
import { emptyDeckState, reduce } from '../../src/core/deck-state.js';
import { moveInQueue, queuedIds, queuePosition } from '../../src/core/queue.js';
import { freeName, newWorkerRecord } from '../../src/core/worker.js';
import { fakeSpawner } from '../../src/pty/fake-pty.js';
import { SpawnQueue } from '../../src/server/queue.js';
import { execute } from '../../src/server/execute.js';
import { makeDeck, request, testPresets } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';
import { loadState } from '../../src/registry/registry.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ctx = { killServer: () => undefined, setPreviewSize: () => undefined };

async function rig(maxWorkers: number) {
  const cwd = tempDir('wd-queue-cwd-');
  const state = tempDir('wd-queue-state-');
  cleanups.push(() => cwd.cleanup(), () => state.cleanup());
  const spawner = fakeSpawner();
  const { deck } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets({ custom: { command: '/bin/sh' } }) });
  const queue = SpawnQueue.of(deck, maxWorkers);
  const spawn = (name: string) => execute(deck, { type: 'spawn', request: request({ agent: 'custom', name }) }, ctx);
  return { deck, spawner, queue, spawn };
}

describe('the spawn queue (pure)', () => {
  it('orders queued workers by rank, gives positions from 1, and moves them clamped to the ends', () => {
    let s = emptyDeckState();
    for (const [id, rank] of [['a', 2], ['b', 0], ['c', 1]] as const) {
      s = reduce(s, { type: 'worker-added', worker: newWorkerRecord({ id, name: id, agent: 'shell', cwd: '/', createdAt: 1, status: 'queued', queue: { worktree: false, base: '', rank } }) });
    }
    s = reduce(s, { type: 'worker-added', worker: newWorkerRecord({ id: 'r', name: 'r', agent: 'shell', cwd: '/', createdAt: 1, status: 'running' }) });
    expect(queuedIds(s)).toEqual(['b', 'c', 'a']);
    expect(queuePosition(s, 'a')).toBe(3);
    expect(queuePosition(s, 'r')).toBeNull();
    expect(moveInQueue(s, 'a', -1)).toEqual(['b', 'a', 'c']);
    expect(moveInQueue(s, 'a', -10)).toEqual(['a', 'b', 'c']);
    s = reduce(s, { type: 'queue-order', ids: moveInQueue(s, 'a', -10) });
    expect(queuedIds(s)).toEqual(['a', 'b', 'c']);
  });
});

describe('SpawnQueue', () => {
  it('queues spawns beyond maxWorkers and starts the first queued one when a slot frees', async () => {
    const { deck, spawner, spawn } = await rig(1);
    const first = await spawn('first');
    const second = await spawn('second');
    const third = await spawn('third');
    expect(first.status).toBe('running');
    expect([second.status, third.status]).toEqual(['queued', 'queued']);
    expect(spawner.spawned).toHaveLength(1);
    expect(queuePosition(deck.getState(), third.id)).toBe(2);
    // A name is taken by a queued worker too.
    await expect(spawn('third')).rejects.toThrow(/already called "third"/);
    // Reordered: third goes first.
    await expect(execute(deck, { type: 'queue-move', id: 'third', by: -1 }, ctx)).resolves.toBe(1);
    spawner.spawned[0]!.emitExit({ exitCode: 0, signal: null });
    await waitFor(() => deck.getState().workers[third.id]?.status === 'running', 'third to start');
    expect(deck.getState().workers[second.id]?.status).toBe('queued');
    expect(spawner.spawned).toHaveLength(2);
    // It kept its id and its place in the list.
    expect(deck.getState().order).toEqual([first.id, second.id, third.id]);
  });

  it('x on a queued worker cancels it: stopped, never started, and the queue moves on without it', async () => {
    const { deck, spawner, spawn } = await rig(1);
    await spawn('first');
    const second = await spawn('second');
    const third = await spawn('third');
    const stopped = await execute(deck, { type: 'stop', id: second.id }, ctx);
    expect(stopped).toMatchObject({ status: 'stopped', reason: 'cancelled while queued', pid: null });
    spawner.spawned[0]!.emitExit({ exitCode: 0, signal: null });
    await waitFor(() => deck.getState().workers[third.id]?.status === 'running', 'third to start');
    expect(deck.getState().workers[second.id]?.status).toBe('stopped');
    expect(spawner.spawned).toHaveLength(2);
  });

  it('R does not start a queued worker out of turn', async () => {
    const { deck, spawn } = await rig(1);
    await spawn('first');
    const second = await spawn('second');
    await expect(execute(deck, { type: 'resume', id: second.id }, ctx)).rejects.toThrow('second is queued; it starts by itself when a slot frees.');
    expect(deck.getState().workers[second.id]?.status).toBe('queued');
  });

  it('with no limit starts every spawn', async () => {
    const { spawn, spawner } = await rig(0);
    for (const n of ['a', 'b', 'c']) expect((await spawn(n)).status).toBe('running');
    expect(spawner.spawned).toHaveLength(3);
  });
});

describe('default names', () => {
  it('gives a spawn with no name a free one when the slug of its task is taken', async () => {
    const { spawn: _spawn, deck } = await rig(0);
    const go = (task: string) => execute(deck, { type: 'spawn', request: request({ agent: 'custom', task }) }, ctx);
    expect((await go('fix the login form')).name).toBe('fix-the-login-form');
    expect((await go('fix the login form please')).name).toBe('fix-the-login-form-pleas');
    expect((await go('fix the login form')).name).toBe('fix-the-login-form-2');
    expect((await go('fix the login form')).name).toBe('fix-the-login-form-3');
    expect(freeName('a'.repeat(40), (n) => n === 'a'.repeat(40))).toBe(`${'a'.repeat(38)}-2`);
  });
});

describe('the queue across a server restart', () => {
  it('keeps queued workers queued through the save, and the next server starts them when it has a slot', async () => {
    const cwd = tempDir('wd-queue2-cwd-');
    const state = tempDir('wd-queue2-state-');
    cleanups.push(() => cwd.cleanup(), () => state.cleanup());
    const presets = testPresets({ custom: { command: '/bin/sh' } });
    const firstSpawner = fakeSpawner();
    const first = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: firstSpawner, presets });
    SpawnQueue.of(first.deck, 1);
    const go = (name: string) => execute(first.deck, { type: 'spawn', request: request({ agent: 'custom', name, task: `task of ${name}` }) }, ctx);
    await go('busy');
    const waiting = await go('waiting');
    expect(waiting.status).toBe('queued');
    const stopping = first.deck.shutdown(0);
    // FakePtys end when told to: the stop's signals reached them.
    for (const pty of firstSpawner.spawned) pty.emitExit({ exitCode: null, signal: 15 });
    await stopping;
    expect(first.deck.getState().workers[waiting.id]?.status).toBe('queued');

    const spawner = fakeSpawner();
    const second = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets });
    cleanups.push(async () => {
      const stopping = second.deck.shutdown(0);
      for (const pty of spawner.spawned) pty.emitExit({ exitCode: null, signal: 15 });
      await stopping;
    });
    SpawnQueue.of(second.deck, 1);
    second.deck.restore(await loadState(second.layout.stateFile), []);
    await waitFor(() => second.deck.getState().workers[waiting.id]?.status === 'running', 'the queued worker to start');
    expect(spawner.spawned).toHaveLength(1);
    expect(second.deck.getState().workers[waiting.id]).toMatchObject({ name: 'waiting', task: 'task of waiting' });
  });
});

