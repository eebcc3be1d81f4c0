import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deckFixture, serverPid, stopServer } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';

/** Issue 12, "Attention": watchdogs, the queue and notifications, driven through the built binary. */
describe('attention (built binary)', () => {
  const f = deckFixture();
  const config = (json: object) => {
    mkdirSync(path.join(f.configHome, 'workerdeck'), { recursive: true });
    writeFileSync(path.join(f.configHome, 'workerdeck', 'config.json'), JSON.stringify(json));
  };

  it('idleTimeout: 3 fails a worker that prints nothing within 5 s, with the reason in list --json', async () => {
    config({ idleTimeout: 3 });
    // The shell prints its prompt and the echo of the task, then nothing.
    const id = f.cli(['spawn', '--name', 'silent', '--no-worktree', '--', 'sleep 600']).trim();
    await waitFor(() => f.list().find((w) => w.id === id)?.status === 'failed', 'the silent worker to fail', 15_000, () => JSON.stringify(f.list()));
    const worker = f.list().find((w) => w.id === id) as unknown as { reason: string };
    expect(worker.reason).toBe('idle: no output and no mail for 3 s (idleTimeout)');
    // The server's own clock, in events.jsonl: from the start of its process (where the idle clock
    // starts; the spawn before it is the machine's, slow under load) to the end of its whole session.
    const lines = readFileSync(path.join(f.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { at: string; type: string; id?: string });
    const at = (type: string) => Date.parse(lines.find((l) => l.type === type && l.id === id)?.at ?? '');
    const ran = at('worker-exited') - at('worker-started');
    expect(ran).toBeGreaterThanOrEqual(3_000);
    expect(ran).toBeLessThan(5_000);
  });

  it('labels workers the server stopped on SIGTERM with that, not "stopped by the operator"', async () => {
    const id = f.cli(['spawn', '--name', 'bystander', '--no-worktree', '--', 'sleep 600']).trim();
    const pid = serverPid(f.stateDir);
    await waitFor(() => f.list().find((w) => w.id === id)?.status === 'running', 'the worker to run');
    await stopServer(f.stateDir, f.list().flatMap((w) => (w.pid ? [w.pid] : [])));
    expect(pid).not.toBeNull();
    const worker = f.list().find((w) => w.id === id) as unknown as { status: string; reason: string };
    expect(worker).toMatchObject({ status: 'stopped', reason: 'the server stopped (SIGTERM)' });
  });

  it('maxWorkers: 1 queues the second spawn, shows its place, and starts it when the first is stopped', async () => {
    config({ maxWorkers: 1 });
    const d = f.open();
    await d.waitForText('q quit');
    const first = f.cli(['spawn', '--name', 'first', '--no-worktree', '--', 'echo first-ran; sleep 600']).trim();
    const second = f.cli(['spawn', '--name', 'second', '--no-worktree', '--', 'echo second-ran; sleep 600']).trim();
    const listed = f.list() as unknown as Array<{ id: string; status: string; queuePosition?: number; pid: number | null }>;
    expect(listed.find((w) => w.id === first)?.status).toBe('running');
    expect(listed.find((w) => w.id === second)).toMatchObject({ status: 'queued', queuePosition: 1, pid: null });
    expect(f.cli(['list'])).toMatch(/second\s+shell\s+queued #1/);
    await d.waitForText(/second\s+shell\s+queued #1/);
    f.cli(['stop', first]);
    await waitFor(() => f.list().find((w) => w.id === second)?.status === 'running', 'the queued worker to start', 10_000, () => JSON.stringify(f.list()));
    await d.waitForText(/second\s+shell\s+running/);
    expect(f.cli(['logs', second])).toContain('second-ran');
  });

  it('x in the deck cancels a queued worker; K moves one forward in the queue', async () => {
    config({ maxWorkers: 1 });
    const d = f.open();
    await d.waitForText('q quit');
    f.cli(['spawn', '--name', 'busy', '--no-worktree', '--', 'sleep 600']);
    f.cli(['spawn', '--name', 'later', '--no-worktree', '--', 'true']);
    f.cli(['spawn', '--name', 'latest', '--no-worktree', '--', 'true']);
    await d.waitForText(/latest\s+shell\s+queued #2/);
    // The newest worker is selected last in the list: move it to the front.
    d.type('j');
    d.type('j');
    d.type('K');
    await d.waitForText(/latest\s+shell\s+queued #1/);
    await d.waitForText(/later\s+shell\s+queued #2/);
    d.type('k');
    d.type('x');
    await d.waitForText('Cancel the queued later?');
    d.type('y');
    await d.waitForText(/later\s+shell\s+stopped/);
    expect(f.list().find((w) => w.name === 'later')).toMatchObject({ status: 'stopped', pid: null });
  });

  it('notify.command receives one JSON line per question on stdin, with the worker\'s name', async () => {
    const out = path.join(f.home.dir, 'notified.jsonl');
    config({ notify: { command: `cat >> '${out}'` } });
    const id = f.cli(['spawn', '--name', 'asker', '--no-worktree', '--', 'workerdeck mail ask "which port?"']).trim();
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('which port?'), 'the first notification', 10_000);
    f.cli(['send', id, 'workerdeck mail ask "and which host?"']);
    await waitFor(() => readFileSync(out, 'utf8').includes('which host?'), 'the second notification', 10_000);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; worker: { id: string; name: string }; text: string });
    const questions = lines.filter((l) => l.event === 'question');
    expect(questions.map((q) => [q.worker.name, q.worker.id, q.text])).toEqual([
      ['asker', id, 'which port?'],
      ['asker', id, 'and which host?'],
    ]);
  });

  it('sends an OSC 9 desktop notification for a question only while the terminal has no focus', async () => {
    config({ notify: { desktop: 'osc9', desktopWhen: 'unfocused' } });
    const d = f.open();
    await d.waitForText('q quit');
    // The deck asked the terminal for focus reports.
    expect(d.raw).toContain('\u001b[?1004h');
    const id = f.cli(['spawn', '--name', 'asker', '--no-worktree', '--', 'workerdeck mail ask "focused question?"']).trim();
    await waitFor(() => f.list().find((w) => w.id === id)?.status === 'asking', 'the first question', 10_000);
    await d.waitForText(/asker\s+shell\s+\S*\s*asking/);
    d.type('\u001b[O');
    f.cli(['send', id, 'workerdeck mail ask "which port?"']);
    await waitFor(() => d.raw.includes('\u001b]9;workerdeck: asker asks: which port?\u0007'), 'the OSC 9 notification', 10_000);
    expect(d.raw).not.toContain('focused question?\u0007');
    // Focus reports are no keys: the deck did not take them for Escape.
    expect(d.screen()).toContain('q quit');
  });

  // A worker that prints every byte it reads, in hex; with WANT=1 it first turns focus reporting on; `42up` once it reads.
  const FOCUS_DUMP = `[ "$WANT" = 1 ] && printf '\\033[?1004h'; stty raw -echo; printf '%sup\\r\\n' $((40+2)); while :; do c=$(dd bs=1 count=1 2>/dev/null | od -An -tx1 | tr -d ' '); printf 'got:%s\\r\\n' "$c"; done`;
  for (const want of [true, false]) {
    it(`passes the terminal's focus reports to an attached worker ${want ? 'that turned focus reporting on' : 'only if it turned it on: not to this one'}`, async () => {
      config({ notify: { desktop: 'osc9', desktopWhen: 'unfocused' } });
      const d = f.open();
      await d.waitForText('q quit');
      f.cli(['spawn', '--name', 'focus', '--no-worktree', '--', `WANT=${want ? 1 : 0}; ${FOCUS_DUMP}`]);
      await d.waitForText(/focus\s+shell\s+running/);
      // The command's own output, not its echo: the worker has read its modes.
      await d.waitForText('42up');
      d.type('\r');
      await d.waitForText('Attached to focus');
      // Focus out and in, as the terminal reports them, then a key.
      d.type('\u001b[O');
      d.type('\u001b[I');
      d.type('z');
      await d.waitForText('got:7a');
      const got = [...d.screen().matchAll(/got:([0-9a-f]{2})/g)].map((m) => m[1]);
      expect(got).toEqual(want ? ['1b', '5b', '4f', '1b', '5b', '49', '7a'] : ['7a']);
      d.type('\u001d');
      await d.waitForText('q quit');
    });
  }

  it('says how to detach: in the title while attached, and once on the bottom row on attach', async () => {
    const d = f.open();
    await d.waitForText('q quit');
    f.cli(['spawn', '--name', 'target', '--no-worktree', '--', 'echo ready-for-attach']);
    await d.waitForText(/target\s+shell\s+running/);
    d.type('\r');
    await d.waitForText('Attached to target: Ctrl-] detaches');
    expect(d.raw).toContain('\u001b]0;workerdeck: target (detach: Ctrl-])\u0007');
    expect(d.screen()).toContain('ready-for-attach');
    d.type('\u001d');
    await d.waitForText('q quit');
    await waitFor(() => d.raw.lastIndexOf('\u001b]0;workerdeck\u0007') > d.raw.lastIndexOf('(detach: Ctrl-])'), 'the deck title back after the detach');
  });
});

