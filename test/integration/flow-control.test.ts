import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, open, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Deck } from '../../src/deck.js';
import { DEFAULT_FLOW_LIMITS } from '../../src/pty/flow.js';
import { fakeSpawner, type FakePty } from '../../src/pty/fake-pty.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import type { PtySpawner } from '../../src/pty/types.js';
import { TRANSCRIPT_HIGH_WATER_BYTES } from '../../src/registry/transcript.js';
import { makeDeck, request, testPresets, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

async function deckWith(spawner: PtySpawner, scripts: Record<string, string> = {}): Promise<{ deck: Deck; stateDir: string; dir: string }> {
  const cwd = tempDir('wd-flow-cwd-');
  const state = tempDir('wd-flow-state-');
  const overrides: Record<string, { command: string; args: string[] }> = {};
  for (const [name, script] of Object.entries(scripts)) overrides[name] = { command: '/bin/sh', args: ['-c', script] };
  const { deck, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets(overrides) });
  cleanups.push(async () => {
    await deck.shutdown(200);
    await registry.flush();
    cwd.cleanup();
    state.cleanup();
  });
  return { deck, stateDir: state.dir, dir: cwd.dir };
}

/** End every FakePty so that shutdown finds nothing running. */
function endFakes(spawner: ReturnType<typeof fakeSpawner>): void {
  cleanups.push(() => {
    for (const pty of spawner.spawned) pty.emitExit({ exitCode: 0, signal: null });
  });
}

/**
 * A disk that stops: every thread of libuv's pool blocks in open() of a FIFO
 * that nobody reads, so the transcript's writes (which run on that pool) wait.
 * `release` opens the read ends, which lets every open() and the writes go on.
 */
function stallDisk(dir: string): { release: () => void } {
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const fifos: string[] = [];
  const fds: number[] = [];
  for (let i = 0; i < threads; i++) {
    const fifo = path.join(dir, `stall-${i}`);
    execFileSync('mkfifo', [fifo]);
    fifos.push(fifo);
    open(fifo, 'w', (error, fd) => {
      if (!error) fds.push(fd);
    });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    // Non-blocking read ends: they open at once, on this thread, and wake the writers.
    const readers = fifos.map((fifo) => openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
    cleanups.push(async () => {
      await waitFor(() => fds.length === fifos.length, 'the stalled opens to finish');
      for (const fd of [...readers, ...fds]) closeSync(fd);
    });
  };
  // Whatever a test does, the pool must not stay blocked: the process could not exit.
  cleanups.push(release);
  return { release };
}

/** `bytes` of coloured, partly non-ASCII output in lines, ending with `marker`. */
function output(bytes: number, marker: string): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `\u001b[3${i % 7}mline ${i} ✓ café ${'x'.repeat(i % 50)}\u001b[0m\r\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  return `${lines.join('')}${marker}\r\n`;
}

/** Split `text` into chunks of about `size` characters, as a PTY delivers them. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('flow control of worker output', () => {
  it("pauses a worker's PTY while its transcript waits for the disk, resumes it after the drain, and the transcript loses nothing", async () => {
    const spawner = fakeSpawner();
    const { deck, stateDir, dir } = await deckWith(spawner);
    endFakes(spawner);
    const worker = await deck.spawn(request({ agent: 'shell', name: 'slow-disk' }));
    const pty = spawner.spawned[0] as FakePty;
    const text = output(2 * TRANSCRIPT_HIGH_WATER_BYTES, 'END-OF-FLOOD');
    // Less than one worker's mirror allowance: only the transcript can pause this PTY.
    expect(Buffer.byteLength(text)).toBeLessThan(DEFAULT_FLOW_LIMITS.workerHigh);
    // The mirror thread loads its modules through the same pool: let it start before the disk stalls.
    await deck.screen(worker.id)!.flush();
    const disk = stallDisk(dir);
    for (const chunk of chunks(text, 64 * 1024)) pty.emitData(chunk);
    expect(pty.paused).toBe(true);
    // The mirror has parsed it all; the transcript still cannot write: the PTY stays paused.
    await deck.screen(worker.id)!.flush();
    expect(deck.flowStats().mirrorBytes).toBe(0);
    expect(pty.paused).toBe(true);
    disk.release();
    await waitFor(() => !pty.paused, 'the PTY to resume once the transcript drained');
    expect(deck.flowStats().transcriptPauses).toBe(1);
    pty.emitExit({ exitCode: 0, signal: null });
    await deck.whenExited(worker.id);
    expect(readFileSync(path.join(stateDir, 'transcripts', `${worker.id}.log`), 'utf8')).toBe(text);
    expect((await deck.screen(worker.id)!.textRows()).filter((r) => r.trim()).at(-1)).toBe('END-OF-FLOOD');
  });

  it('keeps the bytes in flight to the mirror thread within one budget across workers, and every worker gets all its output through', async () => {
    const spawner = fakeSpawner();
    const { deck } = await deckWith(spawner);
    endFakes(spawner);
    const workers = 10;
    // Each worker stays under its own allowance and its transcript's high-water mark; together they do not.
    const perWorker = Math.floor(TRANSCRIPT_HIGH_WATER_BYTES * 0.9);
    expect(perWorker).toBeLessThan(DEFAULT_FLOW_LIMITS.workerHigh);
    expect(workers * perWorker).toBeGreaterThan(DEFAULT_FLOW_LIMITS.totalHigh);
    const ids: string[] = [];
    for (let i = 0; i < workers; i++) ids.push((await deck.spawn(request({ agent: 'shell', name: `flood-${i}` }))).id);
    const chunkSize = 32 * 1024;
    const queues = ids.map((_, i) => chunks(output(perWorker, `END-${i}`), chunkSize));
    // Each fake PTY prints, as a real one does, only while it is not paused: round-robin, all in one go.
    let maxInFlight = 0;
    let progress = true;
    while (progress) {
      progress = false;
      spawner.spawned.forEach((pty, i) => {
        const next = queues[i]!;
        if (pty.paused || next.length === 0) return;
        pty.emitData(next.shift()!);
        maxInFlight = Math.max(maxInFlight, deck.flowStats().mirrorBytes);
        progress = true;
      });
    }
    // Nothing was parsed yet (no turn of the event loop): the workers stopped at the budget.
    expect(queues.some((q) => q.length > 0)).toBe(true);
    expect(spawner.spawned.some((pty) => pty.paused)).toBe(true);
    // Over by at most one chunk (3 bytes per character at worst) per worker.
    expect(maxInFlight).toBeLessThanOrEqual(DEFAULT_FLOW_LIMITS.totalHigh + workers * 3 * chunkSize);
    // As the mirror thread parses, the paused workers resume and print the rest.
    await waitFor(() => {
      spawner.spawned.forEach((pty, i) => {
        const next = queues[i]!;
        while (!pty.paused && next.length > 0) pty.emitData(next.shift()!);
      });
      return queues.every((q) => q.length === 0) && deck.flowStats().mirrorBytes === 0 && spawner.spawned.every((p) => !p.paused);
    }, 'every worker to print all its output');
    for (const [i, id] of ids.entries()) {
      expect((await deck.screen(id)!.textRows()).filter((r) => r.trim()).at(-1)).toBe(`END-${i}`);
    }
  });

  it('real PTYs flooding at once: every byte reaches the transcripts and the mirrors, within the budget', async () => {
    const files = tempDir('wd-flow-files-');
    cleanups.push(files.cleanup);
    const file = path.join(files.dir, 'flood.txt');
    const text = output(3 * 1024 * 1024, 'END-OF-FILE');
    writeFileSync(file, text);
    // -opost: the PTY passes the bytes as they are (no \n -> \r\n), so each transcript must equal the file, byte for byte.
    const { deck, stateDir } = await deckWith(spawnNodePty, { cat: `stty -opost; cat '${file}'` });
    const ids: string[] = [];
    let maxInFlight = 0;
    for (let i = 0; i < 3; i++) {
      const worker = await deck.spawn(request({ agent: 'cat', name: `cat-${i}` }));
      ids.push(worker.id);
      if (worker.pid !== null) pids.push(worker.pid);
      deck.tap(worker.id, () => {
        maxInFlight = Math.max(maxInFlight, deck.flowStats().mirrorBytes);
      });
    }
    await waitFor(() => ids.every((id) => deck.getState().workers[id]?.status === 'exited'), 'every cat to exit', 120_000);
    for (const id of ids) {
      expect(readFileSync(path.join(stateDir, 'transcripts', `${id}.log`), 'utf8')).toBe(text);
      expect((await deck.screen(id)!.textRows()).filter((r) => r.trim()).at(-1)).toBe('END-OF-FILE');
    }
    // A PTY delivers at most 64 KiB per read: over by at most one read (3 bytes per character at worst) per worker.
    expect(maxInFlight).toBeLessThanOrEqual(DEFAULT_FLOW_LIMITS.totalHigh + 3 * 3 * 64 * 1024);
  });
});
