import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Deck } from '../../src/deck.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { makeDeck, processGone, request, screenText, testPresets, waitForScreen, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

/** A deck on real node-pty whose `sh` preset runs `/bin/sh -c <script>`. */
async function deckWith(scripts: Record<string, string>): Promise<{ deck: Deck; stateDir: string }> {
  const cwd = tempDir('wd-pty-cwd-');
  const state = tempDir('wd-pty-state-');
  const overrides: Record<string, { command: string; args: string[] }> = {};
  for (const [name, script] of Object.entries(scripts)) overrides[name] = { command: '/bin/sh', args: ['-c', script] };
  const { deck, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets: testPresets(overrides), mirrors: 'pool' });
  cleanups.push(async () => {
    await deck.shutdown(200);
    await registry.flush();
    cwd.cleanup();
    state.cleanup();
  });
  return { deck, stateDir: state.dir };
}

function pidOf(deck: Deck, id: string): number {
  const pid = deck.getState().workers[id]?.pid;
  if (typeof pid !== 'number') throw new Error(`worker ${id} has no pid`);
  pids.push(pid);
  return pid;
}

describe('a real node-pty worker through the Deck', () => {
  it('mirrors coloured output, records a non-zero exit code and ends failed', async () => {
    const { deck, stateDir } = await deckWith({ red: 'printf "\\033[31mred\\033[0m hello\\n"; sleep 0.2; exit 3' });
    const worker = await deck.spawn(request({ agent: 'red', name: 'red' }));
    pidOf(deck, worker.id);
    expect(worker.status).toBe('running');
    expect(worker.command).toEqual(['/bin/sh', '-c', 'printf "\\033[31mred\\033[0m hello\\n"; sleep 0.2; exit 3']);
    await waitFor(() => deck.getState().workers[worker.id]?.status === 'failed', 'the worker to fail');
    const record = deck.getState().workers[worker.id]!;
    expect(record.exitCode).toBe(3);
    expect(record.signal).toBeNull();
    expect(record.reason).toBe('exit code 3: red hello');
    expect(deck.isRunning(worker.id)).toBe(false);
    // The final screen is kept: the text, and the red as SGR 31.
    const mirror = deck.screen(worker.id)!;
    expect((await mirror.textRows())[0]).toBe('red hello');
    expect((await mirror.readRows(0))[0]).toMatch(/^\u001b\[0;31mred\u001b\[0m hello/);
    // The raw output went to the transcript too.
    expect(readFileSync(path.join(stateDir, 'transcripts', `${worker.id}.log`), 'utf8')).toContain('\u001b[31mred\u001b[0m hello');
  });

  it('a clean exit ends exited', async () => {
    const { deck } = await deckWith({ ok: 'echo fine' });
    const worker = await deck.spawn(request({ agent: 'ok', name: 'ok' }));
    pidOf(deck, worker.id);
    await waitFor(() => deck.getState().workers[worker.id]?.status === 'exited', 'the worker to exit');
    expect(deck.getState().workers[worker.id]).toMatchObject({ exitCode: 0, reason: null });
  });

  it('gives the worker its WORKERDECK_* environment', async () => {
    const { deck, stateDir } = await deckWith({ env: 'echo "id=$WORKERDECK_WORKER_ID dir=$WORKERDECK_STATE_DIR"; sleep 0.2' });
    const worker = await deck.spawn(request({ agent: 'env', name: 'env' }));
    pidOf(deck, worker.id);
    await waitFor(() => deck.getState().workers[worker.id]?.status === 'exited', 'the worker to exit');
    expect(await screenText(deck, worker.id)).toContain(`id=${worker.id} dir=${stateDir}`);
  });

  it('stop() signals the process group, and the worker and its children end stopped', async () => {
    const { deck } = await deckWith({ sleeper: 'sleep 100 & echo "child=$!"; wait' });
    const worker = await deck.spawn(request({ agent: 'sleeper', name: 'sleeper' }));
    const pid = pidOf(deck, worker.id);
    const child = Number((await waitForScreen(deck, worker.id, /child=(\d+)/, 'the child pid'))[1]);
    pids.push(child);
    expect(processGone(child)).toBe(false);
    await deck.stop(worker.id, 10_000);
    const record = deck.getState().workers[worker.id]!;
    expect(record.status).toBe('stopped');
    expect(record.reason).toBe('stopped by the operator');
    expect(record.exitCode).toBeNull();
    // Ended by the SIGTERM (or the SIGHUP sent with it), long before any SIGKILL.
    expect([1, 15]).toContain(record.signal);
    await waitFor(() => processGone(pid) && processGone(child), 'the worker and its child to be gone', 10_000);
  });

  it('SIGKILLs a worker that ignores SIGTERM and SIGHUP once the grace period passes', async () => {
    // The ignored signals are inherited by the sleep, so only SIGKILL to the group ends both.
    const { deck } = await deckWith({ stubborn: 'trap "" TERM HUP; sleep 100 & echo "child=$!"; wait' });
    const worker = await deck.spawn(request({ agent: 'stubborn', name: 'stubborn' }));
    const pid = pidOf(deck, worker.id);
    const child = Number((await waitForScreen(deck, worker.id, /child=(\d+)/, 'the child pid'))[1]);
    pids.push(child);
    await deck.stop(worker.id, 300);
    const record = deck.getState().workers[worker.id]!;
    expect(record.status).toBe('stopped');
    // SIGTERM and SIGHUP did not end it; the SIGKILL after the grace did.
    expect(record.signal).toBe(9);
    await waitFor(() => processGone(pid) && processGone(child), 'the worker and its child to be gone', 10_000);
  });

  it('shutdown stops every worker', async () => {
    const { deck } = await deckWith({ a: 'sleep 100', b: 'sleep 100' });
    const a = await deck.spawn(request({ agent: 'a', name: 'a' }));
    const b = await deck.spawn(request({ agent: 'b', name: 'b' }));
    const pa = pidOf(deck, a.id);
    const pb = pidOf(deck, b.id);
    expect(deck.runningIds().sort()).toEqual([a.id, b.id].sort());
    await deck.shutdown(2000);
    expect(deck.runningIds()).toEqual([]);
    expect(deck.getState().workers[a.id]?.status).toBe('stopped');
    expect(deck.getState().workers[b.id]?.status).toBe('stopped');
    await waitFor(() => processGone(pa) && processGone(pb), 'both workers to be gone', 10_000);
  });

  it('types a reply into a real shell and the shell runs it', async () => {
    const { deck } = await deckWith({});
    const worker = await deck.spawn(request({ agent: 'shell', name: 'sh', task: 'echo started-$((40+2))' }));
    pidOf(deck, worker.id);
    await waitForScreen(deck, worker.id, /started-42/, 'the task line to run');
    await deck.type(worker.id, 'echo replied-$((6*7))', 'reply');
    await waitForScreen(deck, worker.id, /replied-42/, 'the reply to run');
    expect(deck.getState().replies.map((r) => r.content)).toEqual(['echo replied-$((6*7))']);
  });
});
