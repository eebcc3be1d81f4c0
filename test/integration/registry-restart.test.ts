import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildMail } from '../../src/core/mail.js';
import { loadMailHistory } from '../../src/mail/mailbox.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { loadState } from '../../src/registry/registry.js';
import { makeDeck, processGone, request, testPresets, waitForScreen, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

/** A completion from `workerId`, as the Mailbox hands it over (without its seq). */
function buildMailMessage(workerId: string) {
  return { id: `c-${workerId}`, workerId, workerName: null, type: 'completion' as const, content: 'all done', timestamp: Date.now(), inReplyTo: null };
}

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

describe('the registry across a restart', () => {
  it('restores earlier workers; a live-recorded worker whose process is gone becomes exited, "the deck was closed"', async () => {
    const cwd = tempDir('wd-reg-cwd-');
    const state = tempDir('wd-reg-state-');
    cleanups.push(() => {
      cwd.cleanup();
      state.cleanup();
    });
    const presets = testPresets({ sleeper: { command: '/bin/sh', args: ['-c', 'sleep 100'] }, quick: { command: '/bin/sh', args: ['-c', 'echo quick-bye; sleep 0.2'] } });

    // First deck: one long worker, one that exits at once.
    const first = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets, mirrors: 'pool' });
    cleanups.push(() => first.deck.shutdown(500));
    const long = await first.deck.spawn(request({ agent: 'sleeper', name: 'long', task: 'keep going' }));
    const quick = await first.deck.spawn(request({ agent: 'quick', name: 'quick' }));
    pids.push(long.pid!, quick.pid!);
    await waitFor(() => first.deck.getState().workers[quick.id]?.status === 'exited', 'the quick worker to exit');
    await first.registry.flush();
    // The deck dies without a clean shutdown: state.json still says the long worker runs.
    const crashed = readFileSync(first.layout.stateFile, 'utf8');
    expect((await loadState(first.layout.stateFile))?.workers.find((w) => w.id === long.id)?.status).toBe('running');
    await first.deck.shutdown(500);
    await first.registry.flush();
    writeFileSync(first.layout.stateFile, crashed);
    expect(processGone(long.pid!)).toBe(true);
    // A progress note handled after the last save, already in mail/cur.
    const note = buildMail({ id: 'late-1', workerId: long.id, type: 'progress', content: 'half way', now: Date.now() });
    const saved = await loadState(first.layout.stateFile);
    writeFileSync(path.join(first.layout.mail.cur, `${String(saved!.nextSeq).padStart(10, '0')}_late.json`), JSON.stringify(note));

    // Second deck on the same state dir.
    const second = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets, mirrors: 'pool' });
    cleanups.push(() => second.deck.shutdown(500));
    second.deck.restore(saved, await loadMailHistory(second.layout));
    const restored = second.deck.getState();
    expect(restored.order).toEqual([long.id, quick.id]);
    expect(restored.workers[long.id]).toMatchObject({
      name: 'long',
      task: 'keep going',
      status: 'exited',
      reason: 'the deck was closed',
      needsInput: null,
      note: 'half way',
    });
    expect(restored.workers[long.id]?.endedAt).not.toBeNull();
    expect(restored.workers[quick.id]).toMatchObject({ name: 'quick', status: 'exited', exitCode: 0 });
    expect(restored.mail.map((m) => m.id)).toEqual(['late-1']);
    expect(restored.nextSeq).toBe(saved!.nextSeq + 1);
    expect(second.deck.isRunning(long.id)).toBe(false);
    // The restored state is written back.
    await second.registry.flush();
    const after = await loadState(second.layout.stateFile);
    expect(after?.workers.find((w) => w.id === long.id)?.status).toBe('exited');
    // A restored worker's last screen comes back from its transcript.
    expect(second.deck.screen(quick.id)).not.toBeNull();
    await waitForScreen(second.deck, quick.id, /^quick-bye$/m, 'the past screen to load from the transcript');
  });

  it('says so when a live-recorded process is still running outside the deck', async () => {
    const cwd = tempDir('wd-reg2-cwd-');
    const state = tempDir('wd-reg2-state-');
    cleanups.push(() => {
      cwd.cleanup();
      state.cleanup();
    });
    const { deck, layout, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets: testPresets(), mirrors: 'pool' });
    cleanups.push(() => deck.shutdown(500));
    const now = Date.now();
    const base = {
      agent: 'shell', task: '', command: ['/bin/sh'], cwd: cwd.dir, worktree: null, branch: null, base: null, repo: null,
      sessionId: null, skipPermissions: false, exitCode: null, signal: null, reason: null, note: null, needsInput: null,
      activity: 'busy', seenSeq: 0, answered: [], createdAt: now, updatedAt: now, endedAt: null,
    };
    writeFileSync(
      layout.stateFile,
      JSON.stringify({
        version: 1,
        nextSeq: 1,
        workers: [
          { ...base, id: 'aaaa', name: 'outside', pid: process.pid, status: 'running' },
          { ...base, id: 'bbbb', name: 'asking', pid: 2 ** 22 + 12345, status: 'asking' },
          { ...base, id: 'cccc', name: 'done', pid: 2 ** 22 + 12346, status: 'completed' },
        ],
      }),
    );
    deck.restore(await loadState(layout.stateFile), []);
    const s = deck.getState();
    expect(s.workers.aaaa?.status).toBe('exited');
    expect(s.workers.aaaa?.reason).toBe(`the deck was closed; process ${process.pid} was still running outside the deck`);
    expect(s.workers.bbbb).toMatchObject({ status: 'exited', reason: 'the deck was closed', activity: 'idle' });
    expect(s.workers.cccc).toMatchObject({ status: 'completed', reason: 'the deck was closed' });
    await registry.flush();
  });

  it('keeps the reason of a completed worker whose process had already ended', async () => {
    const cwd = tempDir('wd-reg3-cwd-');
    const state = tempDir('wd-reg3-state-');
    cleanups.push(() => {
      cwd.cleanup();
      state.cleanup();
    });
    const presets = testPresets({ sleeper: { command: '/bin/sh', args: ['-c', 'sleep 100'] } });
    const first = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets, mirrors: 'pool' });
    const worker = await first.deck.spawn(request({ agent: 'sleeper', name: 'done' }));
    pids.push(worker.pid!);
    first.deck.receiveMail({ ...buildMailMessage(worker.id), seq: first.deck.nextSeq() });
    expect(first.deck.getState().workers[worker.id]?.status).toBe('completed');
    await first.deck.stop(worker.id, 500);
    await first.deck.shutdown(500);
    const ended = first.deck.getState().workers[worker.id];
    expect(ended?.reason).toBe('stopped by the operator');

    const second = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner: spawnNodePty, presets, mirrors: 'pool' });
    cleanups.push(() => second.deck.shutdown(500));
    second.deck.restore(await loadState(second.layout.stateFile), []);
    const restored = second.deck.getState().workers[worker.id];
    expect(restored?.status).toBe('completed');
    expect(restored?.reason).toBe('stopped by the operator');
  });

  it('loadState names the file and field of a broken registry', async () => {
    const state = tempDir('wd-reg3-');
    cleanups.push(() => state.cleanup());
    const file = path.join(state.dir, 'state.json');
    expect(await loadState(file)).toBeNull();
    writeFileSync(file, '{"version": 1, "nextSeq": 1, "workers": [{"id": "x"}]}');
    await expect(loadState(file)).rejects.toThrow(`${file}: field "workers.0.name"`);
    writeFileSync(file, '{ not json');
    await expect(loadState(file)).rejects.toThrow(/is not valid JSON .*Move it aside/);
  });
});
