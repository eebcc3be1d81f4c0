import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { buildKeymap } from '../../src/core/commands.js';
import { buildMail, type MailMessage } from '../../src/core/mail.js';
import { MAIL_KEEP, olderMailCount, threadOf } from '../../src/core/deck-state.js';
import { Mailbox } from '../../src/mail/mailbox.js';
import type { Deck } from '../../src/deck.js';
import { loadState, type Registry } from '../../src/registry/registry.js';
import type { StateLayout } from '../../src/registry/state-dir.js';
import { fakeSpawner, type FakePty } from '../../src/pty/fake-pty.js';
import { createAppStore, setUi, type AppStore } from '../../src/store.js';
import { Controller } from '../../src/ui/controller.js';
import { decodeKeys } from '../../src/ui/keys.js';
import { makeDeck, request, serveInProcess, testPresets } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';
import { SpawnQueue } from '../../src/server/queue.js';
import { Permissions } from '../../src/server/permissions.js';

interface Rig {
  deck: Deck;
  registry: Registry;
  layout: StateLayout;
  store: AppStore;
  controller: Controller;
  client: import('../../src/client/remote-deck.js').DeckClient;
  spawner: ReturnType<typeof fakeSpawner>;
  quits: number;
  /** kill-server commands the server received. */
  killServers: number;
  attached: string[];
  /** Wait until the store (fed by the server's events) has caught up with the deck, then type raw terminal input through the key decoder into the controller. */
  press: (input: string) => Promise<void>;
  /** Wait until the store has caught up with the deck. */
  sync: () => Promise<void>;
  ptyOf: (id: string) => FakePty;
  question: (workerId: string, content: string, timestamp: number) => MailMessage;
  /** Mail from a worker this deck does not know, as the Mailbox would hand it over. */
  stranger: (workerId: string, type: MailMessage['type'], content: string, timestamp: number) => MailMessage;
}

let dirs: { cleanup: () => void }[] = [];
const servers: { server: { close(): void }; client: { close(): void } }[] = [];
let rig: Rig;

beforeEach(async () => {
  const cwd = tempDir('wd-ctl-cwd-');
  const state = tempDir('wd-ctl-state-');
  dirs = [cwd, state];
  const spawner = fakeSpawner();
  // Presets in this order: shell, custom, other (the spawn form cycles them).
  const presets = testPresets({ custom: { command: '/bin/sh', submitDelayMs: 0 }, other: { command: '/bin/sh' } });
  const { deck, registry, layout } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets });
  const store = createAppStore(120, 40);
  // The controller talks to a real server over a real socket, as the TUI does; the store is fed by its events.
  const { server, client } = await serveInProcess(deck, path.join(state.dir, 'server.sock'), () => r.killServers++);
  servers.push({ server, client });
  client.subscribe((s) => store.setState({ deck: s }));
  store.setState({ deck: client.getState() });
  const r = {
    deck,
    registry,
    layout,
    store,
    spawner,
    quits: 0,
    killServers: 0,
    attached: [] as string[],
  } as Rig;
  r.client = client;
  r.controller = new Controller({
    store,
    client,
    keymap: buildKeymap(),
    spawnDefaults: () => ({ agent: 'custom', worktree: false, base: '', skipPermissions: false }),
    nudgeText: 'please continue',
    attach: (id) => r.attached.push(id),
    quit: () => {
      r.quits++;
    },
  });
  const view = (d: { workers: unknown; order: unknown; mail: unknown; replies: unknown }) => JSON.stringify([d.workers, d.order, d.mail, d.replies]);
  r.sync = () => waitFor(() => view(store.getState().deck) === view(deck.getState()), 'the store to catch up with the deck').then(() => undefined);
  r.press = async (input) => {
    await r.sync();
    for (const key of decodeKeys(input)) r.controller.handle(key);
  };
  r.ptyOf = (id) => {
    const pid = deck.getState().workers[id]?.pid;
    const pty = spawner.spawned.find((p) => p.pid === pid);
    if (!pty) throw new Error(`no FakePty for ${id}`);
    return pty;
  };
  r.question = (workerId, content, timestamp) => {
    const message: MailMessage = {
      id: randomUUID(),
      workerId,
      workerName: deck.getState().workers[workerId]?.name ?? null,
      type: 'question',
      content,
      timestamp,
      inReplyTo: null,
      seq: deck.nextSeq(),
    };
    deck.receiveMail(message);
    return message;
  };
  r.stranger = (workerId, type, content, timestamp) => {
    const message: MailMessage = { id: randomUUID(), workerId, workerName: 'ghost', type, content, timestamp, inReplyTo: null, seq: deck.nextSeq() };
    deck.receiveMail(message);
    return message;
  };
  rig = r;
});

afterEach(async () => {
  for (const { server, client } of servers.splice(0)) {
    client.close();
    server.close();
  }
  for (const pty of rig.spawner.spawned) pty.emitExit({ exitCode: 0, signal: null });
  await rig.deck.shutdown(50);
  expect(rig.deck.runningIds()).toEqual([]);
  for (const d of dirs) d.cleanup();
});

const ui = () => rig.store.getState().ui;

async function spawn(name: string): Promise<string> {
  const worker = await rig.deck.spawn(request({ agent: 'custom', name }));
  return worker.id;
}

describe('spawn form', () => {
  it('edits text fields at the cursor: Left, Right, Home, End, word delete and a paste in the middle', async () => {
    await rig.press('n');
    await rig.press('fix login');
    await rig.press('\u001b[D\u001b[D\u001b[D\u001b[D\u001b[D');
    await rig.press('the ');
    expect(ui().spawn).toMatchObject({ task: 'fix the login', cursor: 8 });
    await rig.press('\u001b[H');
    await rig.press('\u001b[200~please \u001b[201~');
    expect(ui().spawn?.task).toBe('please fix the login');
    await rig.press('\u001b[F');
    await rig.press(' form');
    await rig.press('\u001b[D\u001b[D\u001b[D\u001b[D\u001b[D');
    // Ctrl-W takes the word before the cursor, not the last word.
    await rig.press('\u0017');
    expect(ui().spawn).toMatchObject({ task: 'please fix the  form', cursor: 15 });
    await rig.press('\u001b[C');
    await rig.press('\u007f');
    expect(ui().spawn?.task).toBe('please fix the form');
    // Another field starts with its cursor at its end.
    await rig.press('\t');
    await rig.press('x\u001b[Dy');
    expect(ui().spawn).toMatchObject({ name: 'yx', nameTouched: true });
  });

  it('opens on n, takes typing, moves with Tab, cycles agents with ←/→, cancels on Esc', async () => {
    await rig.press('n');
    expect(ui().mode).toBe('spawn');
    expect(ui().spawn).toMatchObject({ field: 'task', task: '', agent: 'custom', worktree: false });
    await rig.press('fix the login');
    expect(ui().spawn?.task).toBe('fix the login');
    await rig.press('\u007f\u007f');
    expect(ui().spawn?.task).toBe('fix the log');
    await rig.press('\t');
    expect(ui().spawn?.field).toBe('name');
    await rig.press('\t');
    expect(ui().spawn?.field).toBe('agent');
    await rig.press('\u001b[C');
    expect(ui().spawn?.agent).toBe('other');
    await rig.press('\u001b[C');
    expect(ui().spawn?.agent).toBe('shell');
    await rig.press('\u001b[D\u001b[D');
    expect(ui().spawn?.agent).toBe('custom');
    await rig.press('\u001b[Z');
    expect(ui().spawn?.field).toBe('name');
    await rig.press('\u001b');
    expect(ui().mode).toBe('list');
    expect(ui().spawn).toBeNull();
    expect(rig.spawner.spawned).toHaveLength(0);
    expect(rig.deck.getState().order).toEqual([]);
  });

  it('spawns on Enter, names the worker after the task, and selects it', async () => {
    await rig.press('n');
    await rig.press('Fix the login');
    await rig.press('\r');
    await waitFor(() => ui().mode === 'list', 'the spawn to finish');
    const [id] = rig.deck.getState().order;
    expect(id).toBeDefined();
    const worker = rig.deck.getState().workers[id!]!;
    expect(worker.name).toBe('fix-the-login');
    expect(worker.task).toBe('Fix the login');
    expect(worker.agent).toBe('custom');
    expect(worker.status).toBe('running');
    expect(ui().selectedId).toBe(id);
    expect(ui().flash?.text).toBe('Spawned fix-the-login.');
    expect(rig.spawner.spawned).toHaveLength(1);
    expect(rig.spawner.spawned[0]!.options.file).toBe('/bin/sh');
  });

  it('says so when maxWorkers makes the spawn wait in the queue', async () => {
    SpawnQueue.of(rig.deck, 1);
    await spawn('busy');
    await rig.press('n');
    await rig.press('later on\r');
    await waitFor(() => ui().mode === 'list', 'the spawn to finish');
    expect(ui().flash?.text).toBe('Queued later-on (#1): maxWorkers are running; it starts when a slot frees.');
    expect(rig.spawner.spawned).toHaveLength(1);
  });

  it('uses a typed name, and keeps the form when the spawn fails', async () => {
    await rig.press('n');
    await rig.press('task\t');
    await rig.press('Bad Name!');
    await rig.press('\r');
    await waitFor(() => ui().flash?.level === 'error', 'the spawn error');
    expect(ui().flash?.text).toMatch(/"Bad Name!" is not a valid worker name/);
    expect(ui().mode).toBe('spawn');
    expect(ui().spawn).toMatchObject({ task: 'task', name: 'Bad Name!', busy: false });
    await rig.press('\u0015my-name\r');
    await waitFor(() => ui().mode === 'list', 'the spawn to finish');
    expect(Object.values(rig.deck.getState().workers).map((w) => w.name)).toEqual(['my-name']);
  });
});

describe('overlays', () => {
  it('j, k, Space and b scroll the open overlay; closing it starts the next one at its top', async () => {
    await rig.press('w');
    expect(ui().mode).toBe('warnings');
    await rig.press('jj');
    expect(ui().overlayScroll).toBe(2);
    await rig.press('k');
    expect(ui().overlayScroll).toBe(1);
    await rig.press(' ');
    const page = ui().overlayScroll ?? 0;
    expect(page).toBeGreaterThan(10);
    await rig.press('b');
    expect(ui().overlayScroll).toBe(1);
    await rig.press('\u001b');
    expect(ui()).toMatchObject({ mode: 'list', overlayScroll: 0 });
  });
});

describe('reply', () => {
  it('edits the reply at the cursor and sends the edited text', async () => {
    const a = await spawn('alpha');
    rig.question(a, 'which port?', 1000);
    rig.controller.select(a);
    await rig.press('r');
    await rig.press('use 8080');
    await rig.press('\u001b[D\u001b[D\u001b[D\u001b[D');
    await rig.press('port ');
    expect(ui().reply).toMatchObject({ text: 'use port 8080', cursor: 9 });
    await rig.press('\u001b[H\u001b[200~ok, \u001b[201~\u001b[F!');
    expect(ui().reply?.text).toBe('ok, use port 8080!');
    await rig.press('\r');
    await waitFor(() => rig.deck.getState().replies.length === 1, 'the reply');
    expect(rig.deck.getState().replies[0]?.content).toBe('ok, use port 8080!');
  });

  it("r answers the selected worker's oldest unanswered question", async () => {
    const a = await spawn('alpha');
    const b = await spawn('beta');
    rig.question(b, 'beta asks first', 1000);
    const q2 = rig.question(a, 'alpha early', 2000);
    rig.question(a, 'alpha late', 3000);
    rig.controller.select(a);
    await rig.press('r');
    expect(ui().mode).toBe('reply');
    expect(ui().reply).toMatchObject({ workerId: a, inReplyTo: q2.id, question: 'alpha early', text: '' });
  });

  it("r falls back to the deck's oldest question and selects its worker", async () => {
    const a = await spawn('alpha');
    const b = await spawn('beta');
    const c = await spawn('gamma');
    const q1 = rig.question(b, 'beta asks first', 1000);
    rig.question(a, 'alpha asks', 2000);
    rig.controller.select(c);
    await rig.press('r');
    expect(ui().reply).toMatchObject({ workerId: b, inReplyTo: q1.id });
    expect(ui().selectedId).toBe(b);
  });

  it('r without any question replies to the selected live worker', async () => {
    const a = await spawn('alpha');
    rig.controller.select(a);
    await rig.press('r');
    expect(ui().reply).toMatchObject({ workerId: a, inReplyTo: null, question: null });
  });

  it('writes a bracketed paste when the worker turned it on, then \\r as a separate later write, and records the reply', async () => {
    const a = await spawn('alpha');
    const q = rig.question(a, 'which db?', 1000);
    const pty = rig.ptyOf(a);
    pty.emitData('\u001b[?2004h$ ');
    await waitFor(() => rig.deck.screen(a)?.bracketedPaste, 'the mirror to see bracketed paste on');
    rig.controller.select(a);
    await rig.press('r');
    await rig.press('use postgres');
    await rig.press('\n'); // ctrl+j: a newline in the reply
    await rig.press('and pgbouncer');
    expect(ui().reply?.text).toBe('use postgres\nand pgbouncer');
    const before = pty.writes.length;
    await rig.press('\r');
    // The body first; the Enter that submits it comes in a write of its own, once the body is out.
    const body = '\u001b[200~use postgres\nand pgbouncer\u001b[201~';
    await waitFor(() => pty.writes.length > before, 'the body to be written');
    expect(pty.writes.slice(before)).toEqual([body]);
    await waitFor(() => ui().mode === 'list', 'the reply to be sent');
    expect(pty.writes.slice(before)).toEqual([body, '\r']);
    const state = rig.deck.getState();
    expect(state.replies).toHaveLength(1);
    expect(state.replies[0]).toMatchObject({ workerId: a, kind: 'reply', content: 'use postgres\nand pgbouncer', inReplyTo: q.id });
    expect(state.workers[a]?.status).toBe('running');
    expect(state.workers[a]?.answered).toEqual([q.id]);
    expect(ui().flash?.text).toBe('Replied to alpha.');
  });

  it('writes plain text with \\r for newlines when bracketed paste is off', async () => {
    const a = await spawn('alpha');
    rig.question(a, 'which db?', 1000);
    const pty = rig.ptyOf(a);
    rig.controller.select(a);
    await rig.press('r');
    await rig.press('\u001b[200~line one\nline two\u001b[201~');
    const before = pty.writes.length;
    await rig.press('\r');
    await waitFor(() => ui().mode === 'list', 'the reply to be sent');
    expect(pty.writes.slice(before)).toEqual(['line one\rline two', '\r']);
  });

  it('Esc keeps the text as a draft that r opens again', async () => {
    const a = await spawn('alpha');
    rig.controller.select(a);
    await rig.press('r');
    await rig.press('half a thought');
    await rig.press('\u001b');
    expect(ui().mode).toBe('list');
    expect(ui().drafts[a]).toBe('half a thought');
    await rig.press('r');
    expect(ui().reply?.text).toBe('half a thought');
    expect(rig.ptyOf(a).writes).toEqual([]);
  });

  it('r and u refuse to write to a dead worker', async () => {
    const a = await spawn('alpha');
    rig.question(a, 'still there?', 1000);
    const pty = rig.ptyOf(a);
    pty.emitExit({ exitCode: 0, signal: null });
    await waitFor(() => rig.deck.getState().workers[a]?.status === 'exited', 'the worker to exit');
    rig.controller.select(a);
    await rig.press('r');
    expect(ui().mode).toBe('list');
    expect(ui().flash).toMatchObject({ level: 'error', text: 'alpha is not a live worker of this deck; a reply cannot reach it.' });
    await rig.press('u');
    await waitFor(() => ui().flash?.text.includes('not running'), 'the nudge to be refused');
    expect(ui().flash).toMatchObject({ level: 'error', text: 'alpha is not running in this deck; nothing was sent.' });
    expect(pty.writes).toEqual([]);
    expect(rig.deck.getState().replies).toEqual([]);
  });

  it("a dead worker's open question does not stop r from answering a live one", async () => {
    const dead = await spawn('gone');
    rig.question(dead, 'anyone?', 500);
    rig.ptyOf(dead).emitExit({ exitCode: 0, signal: null });
    await waitFor(() => rig.deck.getState().workers[dead]?.status === 'exited', 'the worker to exit');
    const live = await spawn('here');
    const q = rig.question(live, 'which file?', 2000);
    rig.controller.select(live);
    await rig.press('r');
    expect(ui().mode).toBe('reply');
    expect(ui().reply).toMatchObject({ workerId: live, inReplyTo: q.id });
    await rig.press('\u001b');
    // With another worker selected, r still finds the live question, not the dead one's older question.
    rig.controller.select(dead);
    await rig.press('r');
    expect(ui().reply).toMatchObject({ workerId: live, inReplyTo: q.id });
  });

  it('resume refuses a second start while the first is under way', async () => {
    const a = (await rig.deck.spawn(request({ agent: 'shell', name: 'twice' }))).id;
    rig.ptyOf(a).emitExit({ exitCode: 0, signal: null });
    await waitFor(() => !rig.deck.isRunning(a), 'the worker to exit');
    const spawned = rig.spawner.spawned.length;
    const results = await Promise.allSettled([rig.deck.resume(a), rig.deck.resume(a)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(rig.spawner.spawned.length).toBe(spawned + 1);
    expect(rig.deck.isRunning(a)).toBe(true);
  });

  it('u nudges a live worker with the nudge text', async () => {
    const a = await spawn('alpha');
    rig.controller.select(a);
    await rig.press('u');
    await waitFor(() => ui().flash?.text === 'Nudged alpha.', 'the nudge');
    expect(rig.ptyOf(a).writes).toEqual(['please continue', '\r']);
    expect(rig.deck.getState().replies[0]).toMatchObject({ kind: 'nudge', content: 'please continue', inReplyTo: null });
  });

  it('u on a shell worker types nothing: the agent nudge would run as a command', async () => {
    const a = (await rig.deck.spawn(request({ agent: 'shell', name: 'bash' }))).id;
    rig.controller.select(a);
    await rig.press('u');
    expect(ui().flash).toMatchObject({ level: 'warn', text: 'bash is a shell: a nudge would run as a command. Reply with r or attach instead.' });
    expect(rig.ptyOf(a).writes).toEqual([]);
    expect(rig.deck.getState().replies).toEqual([]);
  });
});

describe('confirmations', () => {
  it('q and Ctrl-C quit at once: the workers run on in the server', async () => {
    await spawn('alpha');
    await rig.press('q');
    expect(ui().mode).toBe('list');
    expect(rig.quits).toBe(1);
    await rig.press('\u0003');
    expect(rig.quits).toBe(2);
    expect(rig.deck.runningIds()).toHaveLength(1);
  });

  it('Q asks "Stop N running workers and the server?"; n cancels, y stops the server and quits', async () => {
    await spawn('alpha');
    await spawn('beta');
    await rig.press('Q');
    expect(ui().mode).toBe('confirm');
    expect(ui().confirm?.prompt).toBe('Stop 2 running workers and the server, and quit? Worktrees are kept. (y/n)');
    await rig.press('n');
    expect(ui().mode).toBe('list');
    expect(rig.quits).toBe(0);
    expect(rig.killServers).toBe(0);
    await rig.press('Q');
    await rig.press('y');
    await waitFor(() => rig.quits === 1, 'the quit after kill-server');
    expect(rig.killServers).toBe(1);
  });

  it('stop asks "Stop <name>?" and on y sends SIGTERM; the worker ends stopped', async () => {
    const a = await spawn('alpha');
    rig.controller.select(a);
    await rig.press('x');
    expect(ui().mode).toBe('confirm');
    expect(ui().confirm?.prompt).toBe('Stop alpha? (y/n)');
    await rig.press('n');
    const pty = rig.ptyOf(a);
    expect(pty.signals).toEqual([]);
    await rig.press('x');
    await rig.press('y');
    await waitFor(() => pty.signals.includes('SIGTERM'), 'SIGTERM to reach the worker');
    pty.emitExit({ exitCode: null, signal: 15 });
    await waitFor(() => rig.deck.getState().workers[a]?.status === 'stopped', 'the worker to stop');
    expect(rig.deck.getState().workers[a]?.reason).toBe('stopped by the operator');
    await waitFor(() => ui().flash?.text === 'Stopped alpha. Its worktree and branch are kept.', 'the stop flash');
  });
});

describe('list keys', () => {
  it('j/k move the selection, Enter attaches a running worker', async () => {
    const a = await spawn('alpha');
    const b = await spawn('beta');
    await rig.press('j');
    expect(ui().selectedId).toBe(a);
    await rig.press('j');
    expect(ui().selectedId).toBe(b);
    await rig.press('j');
    expect(ui().selectedId).toBe(b);
    await rig.press('k');
    expect(ui().selectedId).toBe(a);
    await rig.press('\r');
    expect(rig.attached).toEqual([a]);
  });

  it('space jumps to the worker that needs attention', async () => {
    await spawn('alpha');
    const b = await spawn('beta');
    await rig.press(' ');
    expect(ui().flash?.text).toBe('Nothing needs your attention.');
    rig.question(b, 'help?', 1000);
    await rig.press(' ');
    expect(ui().selectedId).toBe(b);
  });
});

describe('layers', () => {
  it('a rebound help key opens and closes help; Esc and q close every overlay', async () => {
    const controller = new Controller({
      store: rig.store,
      client: rig.client,
      keymap: buildKeymap({ help: 'H' }),
      spawnDefaults: () => ({ agent: 'custom', worktree: false, base: '', skipPermissions: false }),
      nudgeText: 'n',
      attach: () => undefined,
      quit: () => undefined,
    });
    const press = (input: string) => {
      for (const key of decodeKeys(input)) controller.handle(key);
    };
    press('?');
    expect(ui().mode).toBe('list');
    press('H');
    expect(ui().mode).toBe('help');
    press('H');
    expect(ui().mode).toBe('list');
    press('H');
    press('q');
    expect(ui().mode).toBe('list');
    press('w');
    expect(ui().mode).toBe('warnings');
    press('\u001b');
    expect(ui().mode).toBe('list');
  });

  it('a command that cannot run says why instead', async () => {
    await rig.press('x');
    expect(ui().mode).toBe('list');
    expect(ui().flash?.text).toBe('No worker selected.');
    const a = await spawn('alpha');
    rig.ptyOf(a).emitExit({ exitCode: 0, signal: null });
    await waitFor(() => rig.deck.getState().workers[a]?.status === 'exited', 'the worker to exit');
    rig.controller.select(a);
    await rig.press('\r');
    expect(rig.attached).toEqual([]);
    expect(ui().flash?.text).toBe('alpha is not running (exited). R resumes it where its preset can.');
  });
});

describe('mail from workers this deck does not know', () => {
  it('Space and r say that only stranger mail is left and how to dismiss it; X dismisses it, recorded in state.json and events.jsonl', async () => {
    for (let i = 0; i < 3; i++) rig.stranger('ffff', 'question', `stale ${i}`, 1000 + i);
    rig.stranger('ffff', 'progress', 'stale note', 1100);
    await rig.press(' ');
    expect(ui().flash?.text).toBe(
      'Nothing needs you but 4 messages from unknown worker ffff (ghost), which no reply can reach. X dismisses them.',
    );
    expect(ui().selectedId).toBeNull();
    await rig.press('r');
    expect(ui().mode).toBe('list');
    expect(ui().flash).toMatchObject({
      level: 'warn',
      text: 'No question to answer: 3 questions are from unknown worker ffff (ghost), which no reply can reach. X dismisses them.',
    });
    const lastSeq = rig.deck.getState().nextSeq - 1;
    await rig.press('X');
    await waitFor(() => ui().flash?.text === 'Dismissed 4 messages from unknown worker ffff (ghost); the files stay in mail/cur.', 'the dismissal');
    expect(rig.deck.getState().dismissed).toEqual({ ffff: lastSeq });
    expect(rig.deck.getState().mail).toHaveLength(4);
    await rig.press(' ');
    expect(ui().flash?.text).toBe('Nothing needs your attention.');
    await rig.press('r');
    expect(ui().flash?.text).toBe('No question to answer and no worker selected.');
    await rig.press('X');
    await waitFor(() => ui().flash?.text === 'No mail from unknown workers to dismiss.', 'the dismissal');
    expect(await rig.registry.flush()).toBe(true);
    expect((await loadState(rig.layout.stateFile))?.dismissed).toEqual({ ffff: lastSeq });
    const events = readFileSync(rig.layout.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'mail-dismissed')).toEqual([
      { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), type: 'mail-dismissed', workerId: 'ffff', seq: lastSeq },
    ]);
    // Nothing was moved or deleted by the dismissal (these messages never were files here).
    expect(readdirSync(rig.layout.mail.cur)).toEqual([]);
  });

  it('X dismisses one stranger at a time, oldest first, and never touches a worker of this deck', async () => {
    const a = await spawn('alpha');
    const q = rig.question(a, 'which db?', 3000);
    rig.stranger('eeee', 'completion', 'done elsewhere', 500);
    rig.stranger('ffff', 'question', 'anyone?', 1000);
    await rig.press('X');
    await waitFor(() => ui().flash?.text === 'Dismissed 1 message from unknown worker eeee (ghost); the files stay in mail/cur. 1 more unknown worker: X again.', 'the dismissal');
    await rig.press('X');
    await waitFor(() => ui().flash?.text === 'Dismissed 1 message from unknown worker ffff (ghost); the files stay in mail/cur.', 'the dismissal');
    await rig.press('X');
    await waitFor(() => ui().flash?.text === 'No mail from unknown workers to dismiss.', 'the dismissal');
    expect(Object.keys(rig.deck.getState().dismissed).sort()).toEqual(['eeee', 'ffff']);
    // The live worker's question is still open, and r answers it.
    rig.controller.select(a);
    await rig.press('r');
    expect(ui().reply).toMatchObject({ workerId: a, inReplyTo: q.id });
  });

  it('Space skips stranger mail and goes to the worker that needs you', async () => {
    await spawn('alpha');
    const b = await spawn('beta');
    rig.stranger('ffff', 'question', 'anyone?', 500);
    rig.question(b, 'help?', 1000);
    await rig.press(' ');
    expect(ui().selectedId).toBe(b);
  });
});

describe('paging a long thread back', () => {
  it('[ at the top of what the deck holds pages older mail in from mail/cur, 50 at a time, until the first message', async () => {
    const w = await rig.deck.spawn(request({ agent: 'custom', task: 'talk a lot' }));
    // 130 messages through a real Mailbox, so they are files in mail/cur like any handled mail.
    for (let i = 0; i < 130; i++) {
      const body = buildMail({ id: `t${i}`, workerId: w.id, type: 'progress', content: `note number ${i}`, now: 1_000 + i });
      writeFileSync(path.join(rig.layout.mail.new, `${String(i).padStart(4, '0')}.json`), JSON.stringify(body));
    }
    const mailbox = new Mailbox(rig.layout, rig.deck.mailboxHandlers());
    await mailbox.start();
    await mailbox.close();
    await rig.sync();
    expect(rig.store.getState().deck.mail.filter((m) => m.workerId === w.id)).toHaveLength(MAIL_KEEP);
    expect(olderMailCount(rig.store.getState().deck, w.id)).toBe(130 - MAIL_KEEP);
    setUi(rig.store, { selectedId: w.id });
    const older = () => ui().olderMail[w.id];
    for (let presses = 0; presses < 2000 && older()?.messages.length !== 130 - MAIL_KEEP; presses++) {
      await rig.press('[');
      await waitFor(() => older()?.loading !== true, 'a page to load');
    }
    expect(older()?.messages.map((m) => m.content)).toEqual(Array.from({ length: 130 - MAIL_KEEP }, (_, i) => `note number ${i}`));
    expect(older()?.before).toBeNull();
    // Every message once in the thread, oldest first.
    const thread = threadOf(rig.store.getState().deck, w.id, older()?.messages);
    expect(thread.map((e) => (e.from === 'worker' ? e.message.content : ''))).toEqual(Array.from({ length: 130 }, (_, i) => `note number ${i}`));
  });
});

describe('permission prompts (y, A, N)', () => {
  it('y allows and N denies with a reason typed in a one-line box; A only where the agent offers it', async () => {
    const id = await spawn('perm');
    rig.controller.select(id);
    const permissions = Permissions.of(rig.deck);
    await rig.press('y');
    expect(ui().flash?.text).toBe('No permission prompt waits on perm.');

    const first = permissions.ask(id, { tool: 'Bash', detail: 'rm -rf build', allowAlways: false });
    await rig.press('A');
    expect(ui().flash?.text).toBe('perm\'s agent offers no "allow always" here.');
    await rig.press('N');
    expect(ui().mode).toBe('reply');
    expect(ui().reply?.deny?.what).toBe('Bash rm -rf build');
    await rig.press('keep it');
    await rig.press('\r');
    expect(await first).toEqual({ answer: 'deny', reason: 'keep it' });
    await waitFor(() => ui().mode === 'list' && /Denied: Bash rm -rf build \(perm\)/.test(ui().flash?.text ?? ''), 'the box to close');

    const second = permissions.ask(id, { tool: 'Bash', detail: 'ls', allowAlways: true });
    await rig.press('y');
    expect(await second).toEqual({ answer: 'allow-once', reason: null });
    await waitFor(() => /Allowed once: Bash ls/.test(ui().flash?.text ?? ''), 'the flash');
    // Nothing was typed into the worker: the hook carried the answers.
    expect(rig.ptyOf(id).writes).toEqual([]);
  });
});
