import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDeckState, reduce, type DeckState } from '../../src/core/deck-state.js';
import { buildMail, type MailMessage } from '../../src/core/mail.js';
import { newWorkerRecord } from '../../src/core/worker.js';
import { Deck } from '../../src/deck.js';
import { execaGit } from '../../src/git/git.js';
import { Mailbox } from '../../src/mail/mailbox.js';
import { fakeSpawner } from '../../src/pty/fake-pty.js';
import { loadState, Registry, serializeState } from '../../src/registry/registry.js';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { processGone, request, testPresets } from '../helpers/deck.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { tempDir } from '../helpers/git-repo.js';
import { ROOT, waitFor } from '../helpers/term.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function stateDir(): Promise<StateLayout> {
  const dir = tempDir('wd-faults-');
  cleanups.push(() => dir.cleanup());
  return prepareStateDir(dir.dir);
}

/** A deck state with `n` workers, so successive states differ in state.json. */
function stateWith(n: number): DeckState {
  let s = emptyDeckState();
  for (let i = 0; i < n; i++) {
    s = reduce(s, { type: 'worker-added', worker: newWorkerRecord({ id: `w${i}`, name: `w-${i}`, agent: 'shell', cwd: '/tmp', createdAt: i }) });
  }
  return s;
}

function eventLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A registry on `layout` through `fs`, retrying fast (10 ms, doubling to 40 ms), its notices collected. */
function faultyRegistry(layout: StateLayout, fs: FaultyFs) {
  const notices: string[] = [];
  const registry = new Registry(layout.stateFile, layout.eventsFile, (m) => notices.push(m), 5, { fs, retryMs: 10, retryMaxMs: 40 });
  cleanups.push(async () => {
    fs.heal();
    await registry.flush();
  });
  return { registry, notices };
}

describe('the registry when writes fail', () => {
  it('retries a failed state.json save on its own, warns once, says when it works again, and ends with the newest state', async () => {
    const layout = await stateDir();
    const fs = new FaultyFs().fail('writeFileAtomic', 'ENOSPC', { times: 3 });
    const { registry, notices } = faultyRegistry(layout, fs);
    registry.save(stateWith(1));
    await waitFor(() => fs.failed('writeFileAtomic') >= 1, 'the first failed save');
    // A newer state while the disk is full; after this nothing calls save() again.
    registry.save(stateWith(2));
    await waitFor(() => existsSync(layout.stateFile), 'state.json to be written by a retry');
    expect(fs.failed('writeFileAtomic')).toBe(3);
    expect((await loadState(layout.stateFile))?.workers.map((w) => w.id)).toEqual(['w0', 'w1']);
    expect(readFileSync(layout.stateFile, 'utf8')).toBe(serializeState(stateWith(2)));
    await waitFor(() => notices.length === 2, 'the recovery notice');
    expect(notices[0]).toMatch(/^Cannot save state\.json \(ENOSPC: injected failure.*\)\. The deck keeps running with its state in memory and retries until it can write\.$/);
    expect(notices[1]).toBe('Writing state.json works again; nothing was lost.');
    expect(registry.failures()).toEqual([]);
    expect(await registry.flush()).toBe(true);
  });

  it('keeps the lines of a failed append and writes every line exactly once, in order, even after a partial write', async () => {
    const layout = await stateDir();
    const fs = new FaultyFs();
    const { registry, notices } = faultyRegistry(layout, fs);
    registry.appendEvent('test', { n: 1 });
    await waitFor(() => eventLines(layout.eventsFile).length === 1, 'the first line');
    // The first failure writes half its data before ENOSPC, the next two fail with EACCES.
    fs.fail('appendFile', 'ENOSPC', { times: 1, partial: true }).fail('appendFile', 'EACCES', { times: 2 });
    for (let n = 2; n <= 5; n++) registry.appendEvent('test', { n });
    await waitFor(() => fs.failed('appendFile') >= 1, 'the first failed append');
    for (let n = 6; n <= 10; n++) registry.appendEvent('test', { n });
    // The notice comes once the append's promise settles, which can be just after the lines are on disk.
    await waitFor(() => notices.length === 3, 'the notice that writing works again', 10_000, () => notices.join('\n'));
    expect(fs.failed('appendFile')).toBe(3);
    expect(eventLines(layout.eventsFile).map((e) => e.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(readFileSync(layout.eventsFile, 'utf8').endsWith('\n')).toBe(true);
    // One notice per distinct failure, then one when it works again.
    expect(notices).toHaveLength(3);
    expect(notices[0]).toMatch(/^Cannot append to events\.jsonl \(ENOSPC: .*\)\. \d+ lines? (is|are) held in memory and written in order once it works again\.$/);
    // The partly written data was cut back before the retry.
    expect(fs.succeeded('truncate')).toBeGreaterThanOrEqual(1);
    expect(notices[1]).toMatch(/^Cannot append to events\.jsonl \(EACCES: /);
    expect(notices[2]).toBe('Writing events.jsonl works again; nothing was lost.');
  });

  it('flush is bounded: false at its deadline while writes fail or hang, true once they work', async () => {
    const layout = await stateDir();
    const fs = new FaultyFs().fail('writeFileAtomic', 'EACCES').fail('appendFile', 'EACCES');
    const { registry, notices } = faultyRegistry(layout, fs);
    registry.save(stateWith(1));
    registry.appendEvent('test', { n: 1 });
    await waitFor(() => notices.length === 2, 'both failures to be reported');
    const failedBefore = fs.failed('writeFileAtomic');
    expect(await registry.flush({ deadlineMs: 150 })).toBe(false);
    // flush tried again, and warned no more.
    expect(fs.failed('writeFileAtomic')).toBeGreaterThan(failedBefore);
    expect(notices).toHaveLength(2);
    expect(registry.failures().sort()).toEqual(['events.jsonl: EACCES', 'state.json: EACCES']);
    fs.heal();
    expect(await registry.flush()).toBe(true);
    expect(eventLines(layout.eventsFile).map((e) => e.n)).toEqual([1]);
    expect(readFileSync(layout.stateFile, 'utf8')).toBe(serializeState(stateWith(1)));

    const hung = new FaultyFs().hang('appendFile');
    const stuck = faultyRegistry(await stateDir(), hung).registry;
    stuck.appendEvent('test', { n: 1 });
    expect(await stuck.flush({ deadlineMs: 100 })).toBe(false);
    hung.heal();
  });

  it('a deck process whose disk is broken still ends on its own: retries never keep it alive, flush gives up at its deadline', async () => {
    const layout = await stateDir();
    const registryUrl = pathToFileURL(path.join(ROOT, 'dist', 'registry', 'registry.js')).href;
    // Two registries: every write fails on one (its retry timer keeps going), every write hangs on the other.
    const script = `
      const { Registry } = await import(${JSON.stringify(registryUrl)});
      const broken = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
      const hung = () => new Promise(() => {});
      const state = { workers: {}, order: [], mail: [], replies: [], warnings: [], nextSeq: 1, dismissed: {} };
      const results = [];
      for (const op of [broken, hung]) {
        const fs = { writeFileAtomic: op, appendFile: op, rename: op, writeFile: op, size: async () => 0, truncate: op };
        const notices = [];
        const registry = new Registry(${JSON.stringify(layout.stateFile)}, ${JSON.stringify(layout.eventsFile)}, (m) => notices.push(m), 5, { fs, retryMs: 10 });
        registry.save(state);
        registry.appendEvent('test', { n: 1 });
        const ok = await registry.flush({ deadlineMs: 200 });
        results.push({ ok, notices, failures: registry.failures() });
      }
      process.stdout.write(JSON.stringify(results));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await waitFor(() => child.pid === undefined || processGone(child.pid), 'the child to be gone', 10_000);
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = await waitFor(() => (child.exitCode ?? child.signalCode) !== null && { code: child.exitCode }, 'the child to exit on its own', 10_000, () => `${out}\n${err}`);
    expect(exit).toEqual({ code: 0 });
    const [failing, hanging] = JSON.parse(out) as { ok: boolean; notices: string[]; failures: string[] }[];
    expect(failing?.ok).toBe(false);
    expect(failing?.failures.sort()).toEqual(['events.jsonl: ENOSPC', 'state.json: ENOSPC']);
    expect(failing?.notices).toHaveLength(2);
    expect(hanging).toEqual({ ok: false, notices: [], failures: [] });
  });
});

/** A Registry that also records every event type it is asked to append, in order. */
class RecordingRegistry extends Registry {
  readonly appended: string[] = [];
  override appendEvent(type: string, fields: Record<string, unknown>, now?: number): void {
    this.appended.push(type);
    super.appendEvent(type, fields, now);
  }
}

/** A Deck with FakePty workers whose registry writes through `fs`, and whose registry notices become deck warnings, as in the CLI. */
async function faultyDeck(fs: FaultyFs) {
  const layout = await stateDir();
  const cwd = tempDir('wd-faults-cwd-');
  cleanups.push(() => cwd.cleanup());
  let deck: Deck | null = null;
  const registry = new RecordingRegistry(layout.stateFile, layout.eventsFile, (m) => deck?.warn(m), 5, { fs, retryMs: 10, retryMaxMs: 40 });
  const spawner = fakeSpawner();
  const made = new Deck({
    spawner,
    git: execaGit(),
    layout,
    registry,
    presets: testPresets({ custom: { command: '/bin/sh', submitDelayMs: 0 } }),
    repo: null,
    cwd: cwd.dir,
    env: {},
    launcher: path.join(layout.binDir, 'workerdeck'),
  });
  deck = made;
  cleanups.push(async () => {
    fs.heal();
    for (const pty of spawner.spawned) pty.emitExit({ exitCode: 0, signal: null });
    await made.shutdown(50);
  });
  return { deck: made, registry, layout, spawner };
}

describe('the Deck when its disk fails', () => {
  it('keeps running, warns once per failure without a loop, and loses nothing once writing works again', async () => {
    const fs = new FaultyFs().fail('writeFileAtomic', 'ENOSPC').fail('appendFile', 'ENOSPC');
    const { deck, registry, layout } = await faultyDeck(fs);
    const worker = await deck.spawn(request({ agent: 'custom', name: 'alpha' }));
    await waitFor(() => fs.failed('appendFile') >= 1 && fs.failed('writeFileAtomic') >= 1, 'both writes to fail');
    // Dispatches still work while every write fails.
    const question: MailMessage = {
      ...buildMail({ id: 'q1', workerId: worker.id, type: 'question', content: 'which db?', now: Date.now() }),
      workerName: 'alpha',
      timestamp: Date.now(),
      inReplyTo: null,
      seq: deck.nextSeq(),
    };
    deck.receiveMail(question);
    expect(deck.getState().workers[worker.id]?.status).toBe('asking');
    await deck.type(worker.id, 'postgres', 'reply', 'q1');
    expect(deck.getState().workers[worker.id]?.status).toBe('running');
    // Many retries later there are still exactly two warnings: no warn → save → fail → warn loop.
    const before = fs.failed('appendFile');
    await waitFor(() => fs.failed('appendFile') >= before + 5, 'several more retries');
    const texts = deck.getState().warnings.map((w) => w.text);
    expect(texts).toHaveLength(2);
    expect(texts.filter((t) => t.startsWith('Cannot append to events.jsonl (ENOSPC: '))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('Cannot save state.json (ENOSPC: '))).toHaveLength(1);
    expect(existsSync(layout.stateFile)).toBe(false);

    fs.heal();
    await waitFor(() => deck.getState().warnings.some((w) => w.text.startsWith('Writing ')), 'the notice that writing works again');
    expect(deck.getState().warnings.at(-1)?.text).toMatch(/^Writing (events\.jsonl and state\.json|state\.json and events\.jsonl) works again; nothing was lost\.$/);
    expect(await registry.flush()).toBe(true);
    // state.json holds the latest state; events.jsonl every line once, in the order they were appended.
    expect(readFileSync(layout.stateFile, 'utf8')).toBe(serializeState(deck.getState()));
    const lines = eventLines(layout.eventsFile);
    expect(lines.map((e) => e.type)).toEqual(registry.appended);
    expect(registry.appended.filter((t) => t === 'mail-received')).toHaveLength(1);
    expect(registry.appended).toEqual(expect.arrayContaining(['worker-added', 'worker-started', 'mail-received', 'operator-wrote', 'warning']));
  });
});

describe('the Mailbox when a move fails', () => {
  function writeMail(layout: StateLayout, workerId: string, id: string): string {
    const name = `${Date.now()}-${id}.json`;
    const tmp = path.join(layout.mail.tmp, name);
    writeFileSync(tmp, JSON.stringify(buildMail({ id, workerId, type: 'progress', content: `note ${id}`, now: Date.now() })));
    renameSync(tmp, path.join(layout.mail.new, name));
    return name;
  }

  it('leaves the file in new/, warns once, hands its seq back, and handles it exactly once on a later rescan', async () => {
    const layout = await stateDir();
    const fs = new FaultyFs().fail('rename', 'EACCES', { times: 2, match: 'mail/cur' });
    let next = 1;
    const taken: number[] = [];
    const released: number[] = [];
    const messages: MailMessage[] = [];
    const errors: string[] = [];
    const mailbox = new Mailbox(
      layout,
      {
        onMessage: (m) => messages.push(m),
        onBad: () => undefined,
        nextSeq: () => {
          taken.push(next);
          return next++;
        },
        releaseSeq: (seq) => {
          released.push(seq);
          if (seq === next - 1) next = seq;
        },
        onError: (m) => errors.push(m),
      },
      fs,
    );
    cleanups.push(() => mailbox.close());
    const name = writeMail(layout, 'w1', 'm1');
    await mailbox.start();
    await waitFor(() => fs.failed('rename') >= 1, 'the first failed move');
    expect(readdirSync(layout.mail.new)).toEqual([name]);
    expect(readdirSync(layout.mail.cur)).toEqual([]);
    expect(messages).toEqual([]);
    // The rescan (every 2 s) tries again: once more failing, then it works.
    await waitFor(() => messages.length === 1, 'the message after the rescans', 15_000);
    expect(fs.failed('rename')).toBe(2);
    expect(messages[0]).toMatchObject({ id: 'm1', seq: 1 });
    expect(taken).toEqual([1, 1, 1]);
    expect(released).toEqual([1, 1]);
    expect(readdirSync(layout.mail.cur)).toEqual([`0000000001_${name}`]);
    expect(readdirSync(layout.mail.new)).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(new RegExp(`^Cannot move mail ${name.replace('.', '\\.')} into mail/cur \\(EACCES: .*\\)\\. It stays in mail/new and is tried again every 2 s\\.$`));
    expect(errors[1]).toBe('Moving mail out of mail/new works again; the mail that waited there is handled.');
    // The next message takes the next seq: no gap.
    writeMail(layout, 'w1', 'm2');
    await waitFor(() => messages.length === 2, 'the second message');
    expect(messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('takes ENOENT as "another watcher claimed it": no warning, the seq is handed back', async () => {
    const layout = await stateDir();
    const fs = new FaultyFs().fail('rename', 'ENOENT', { times: 1, match: 'mail/cur' });
    let next = 1;
    const messages: MailMessage[] = [];
    const errors: string[] = [];
    const mailbox = new Mailbox(
      layout,
      {
        onMessage: (m) => messages.push(m),
        onBad: () => undefined,
        nextSeq: () => next++,
        releaseSeq: (seq) => {
          if (seq === next - 1) next = seq;
        },
        onError: (m) => errors.push(m),
      },
      fs,
    );
    cleanups.push(() => mailbox.close());
    writeMail(layout, 'w1', 'm1');
    await mailbox.start();
    // The file is in fact still in new/ here, so a rescan handles it.
    await waitFor(() => messages.length === 1, 'the message', 15_000);
    expect(fs.failed('rename')).toBe(1);
    expect(messages[0]?.seq).toBe(1);
    expect(errors).toEqual([]);
  });

  it('with the Deck: a message whose move failed ends in cur/ once, with one audit line and the next seq', async () => {
    const { deck, registry, layout } = await faultyDeck(new FaultyFs());
    const worker = await deck.spawn(request({ agent: 'custom', name: 'alpha' }));
    const fs = new FaultyFs().fail('rename', 'ENOSPC', { times: 1, match: 'mail/cur' });
    const mailbox = new Mailbox(layout, deck.mailboxHandlers(), fs);
    cleanups.push(() => mailbox.close());
    await mailbox.start();
    const name = writeMail(layout, worker.id, 'm1');
    await waitFor(() => fs.failed('rename') === 1, 'the failed move');
    expect(deck.getState().nextSeq).toBe(1);
    expect(deck.getState().warnings.map((w) => w.text)).toEqual([
      expect.stringMatching(new RegExp(`^Cannot move mail ${name.replace('.', '\\.')} into mail/cur \\(ENOSPC: `)),
    ]);
    await waitFor(() => deck.getState().mail.length === 1, 'the message after a rescan', 15_000);
    expect(deck.getState().mail[0]).toMatchObject({ id: 'm1', seq: 1 });
    expect(deck.getState().nextSeq).toBe(2);
    expect(deck.getState().workers[worker.id]?.note).toBe('note m1');
    expect(readdirSync(layout.mail.cur)).toEqual([`0000000001_${name}`]);
    expect(readdirSync(layout.mail.new)).toEqual([]);
    expect(await registry.flush()).toBe(true);
    const audit = eventLines(layout.eventsFile).filter((e) => e.type === 'mail-received');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.message).toMatchObject({ id: 'm1', seq: 1 });
    expect((await loadState(layout.stateFile))?.nextSeq).toBe(2);
  });
});
