import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, deckFixture, serverPid } from '../helpers/e2e.js';
import { sessionPids } from '../../src/pty/session.js';
import { BIN, DeckTerminal, processAlive, waitFor } from '../helpers/term.js';
import { processGone } from '../helpers/deck.js';

/** The server split as a user meets it: workers outlive the TUI, several clients, the CLI, recovery. */
describe('workerdeck serve and its clients (built binary)', () => {
  const f = deckFixture();

  /** A shell worker with a background job that prints a counter every 200 ms, so "still producing output" can be seen; the shell stays free for commands. */
  const ticker = (name: string) =>
    f.cli(['spawn', '--name', name, '--no-worktree', '--', `(i=0; while :; do i=$((i+1)); echo ${name}-tick-$i; sleep 0.2; done) &`]).trim();
  const ticks = (id: string, name: string): number => {
    const screen = f.cli(['logs', id]);
    return Math.max(0, ...[...screen.matchAll(new RegExp(`${name}-tick-(\\d+)`, 'g'))].map((m) => Number(m[1])));
  };

  it('keeps two workers running through a kill -9 of the TUI; the next TUI shows them and the mail that came meanwhile as unread', async () => {
    const d = f.open();
    await d.waitForText('q quit');
    const a = ticker('alpha');
    const b = ticker('beta');
    await d.waitForText(/beta\s+shell\s+running/);
    const pids = f.list().map((w) => w.pid ?? 0);
    process.kill(d.pty.pid, 'SIGKILL');
    await d.waitForExit();
    const before = [ticks(a, 'alpha'), ticks(b, 'beta')];
    for (const pid of pids) expect(processAlive(pid)).toBe(true);
    await waitFor(() => ticks(a, 'alpha') > (before[0] ?? 0) && ticks(b, 'beta') > (before[1] ?? 0), 'both workers to print on', 10_000, () => `${before} ${f.cli(['logs', a])}`);
    // Mail while no client is connected: the worker asks through its own workerdeck command.
    f.cli(['send', 'alpha', 'workerdeck mail ask "which port should I use?"']);
    await waitFor(() => f.list().find((w) => w.id === a)?.status === 'asking', 'alpha to be asking', 10_000);

    const again = f.open();
    await again.waitForText(/alpha\s+shell\s+\S*\s*asking/);
    await again.waitForText(/beta\s+shell\s+running/);
    await again.waitForText('which port should I use?');
    // The unread count shows on alpha's row, and the preview is its live screen.
    again.type('k');
    await again.waitForText(/alpha-tick-\d+/);
  });

  it('shows a spawn made in one TUI in a second TUI at once', async () => {
    const first = f.open();
    await first.waitForText('q quit');
    const second = f.open();
    await second.waitForText('q quit');
    first.type('n');
    await first.waitForText('Spawn a worker');
    first.type('echo seen-by-both\r');
    await waitFor(() => second.screen().includes('seen-by-both'), 'the second TUI to show the spawn', 5_000, () => second.screen());
    // Each client has its own selection: moving in one leaves the other's alone.
    expect(first.screen()).toMatch(/echo-seen-by-b/);
  });

  it('attaches from another terminal with workerdeck attach; Ctrl-] returns to the shell', async () => {
    const id = f.cli(['spawn', '--name', 'target', '--no-worktree', '--', 'echo ready-to-attach']).trim();
    await waitFor(() => f.cli(['logs', id]).includes('ready-to-attach'), 'the worker to start', 10_000);
    const t = new DeckTerminal(['attach', 'target', '--state-dir', f.stateDir], { cwd: f.repo.dir, env: { PS1: '$ ' } });
    f.decks.push(t);
    await t.waitForText('ready-to-attach');
    t.type('echo typed-through-$((6*7))\r');
    await t.waitForText('typed-through-42');
    t.type('\u001d');
    const exit = await t.waitForExit();
    expect(exit.exitCode).toBe(0);
    expect(t.raw.slice(t.raw.lastIndexOf('\u001b[?1049l'))).toContain('Detached from target.');
    expect(f.cli(['logs', id])).toContain('typed-through-42');
    expect(f.list()[0]?.status).toBe('running');
  });

  it('drives workers from the shell: spawn, list --json, send answers a question, stop, and errors in one line', () => {
    const id = f.cli(['spawn', '--no-worktree', '--', 'echo hi']).trim();
    expect(id).toMatch(/^[0-9a-f]{4}$/);
    const listed = f.list().find((w) => w.id === id);
    expect(listed?.status).toBe('running');
    f.cli(['send', id, 'workerdeck mail ask "ready?"']);
    const asking = () => f.list().find((w) => w.id === id)?.status === 'asking';
    return waitFor(asking, 'the question', 10_000).then(() => {
      f.cli(['send', id, 'echo answered-$((1+1))']);
      const events = execFileSync(process.execPath, [BIN, 'events', '--json', '--state-dir', f.stateDir], { cwd: f.repo.dir, encoding: 'utf8', env: cleanEnv() })
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; inReplyTo?: string; message?: { id: string; type: string } });
      const question = events.find((e) => e.type === 'mail-received' && e.message?.type === 'question');
      expect(events.find((e) => e.type === 'operator-wrote' && e.inReplyTo === question?.message?.id)).toBeDefined();
      expect(f.list().find((w) => w.id === id)?.status).toBe('running');
      expect(f.cli(['stop', id])).toContain('Stopped');
      expect(f.list().find((w) => w.id === id)?.status).toBe('stopped');
      const fail = (args: string[]) => {
        try {
          execFileSync(process.execPath, [BIN, ...args, '--state-dir', f.stateDir], { cwd: f.repo.dir, encoding: 'utf8', stdio: 'pipe', env: cleanEnv() });
          return { code: 0, stderr: '' };
        } catch (error) {
          const e = error as { status: number; stderr: string };
          return { code: e.status, stderr: e.stderr };
        }
      };
      const missing = fail(['stop', 'no-such-worker']);
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      expect(missing.stderr).toMatch(/No worker "no-such-worker"/);
      // From inside another worker's worktree, with no --state-dir: the same deck.
      const wt = f.cli(['spawn', '--name', 'in-tree', '--', 'true']).trim();
      const tree = f.list().find((w) => w.id === wt)?.worktree ?? '';
      expect(tree).toContain('.worktrees');
      const fromTree = JSON.parse(execFileSync(process.execPath, [BIN, 'list', '--json'], { cwd: tree, encoding: 'utf8', env: cleanEnv() })) as { id: string }[];
      expect(fromTree.map((w) => w.id)).toEqual(expect.arrayContaining([id, wt]));
    });
  });

  it('after a kill -9 of the server, shows its workers as exited with the reason, and R resumes one into its own session', async () => {
    mkdirSync(path.join(f.configHome, 'workerdeck'), { recursive: true });
    writeFileSync(
      path.join(f.configHome, 'workerdeck', 'config.json'),
      JSON.stringify({
        presets: {
          session: { command: '/bin/sh', args: ['-c', 'echo started {sessionId}; exec /bin/sh'], resumeArgs: ['-c', 'echo resumed {sessionId}; exec /bin/sh'] },
        },
      }),
    );
    const id = f.cli(['spawn', '--agent', 'session', '--name', 'keeper', '--no-worktree', '--', 'a task']).trim();
    await waitFor(() => /started [0-9a-f-]{36}/.test(f.cli(['logs', id])), 'the worker to start', 10_000);
    const session = /started ([0-9a-f-]{36})/.exec(f.cli(['logs', id]))?.[1];
    const server = serverPid(f.stateDir) ?? 0;
    const worker = f.list()[0]?.pid ?? 0;
    process.kill(server, 'SIGKILL');
    await waitFor(() => processGone(server) && processGone(worker), 'the server and its worker to be gone', 10_000);

    const d = f.open();
    await d.waitForText(/keeper\s+session\s+exited/);
    expect(f.list()[0]).toMatchObject({ status: 'exited' });
    d.type('i');
    await d.waitForText('the server stopped');
    d.type('i');
    await waitFor(() => !d.screen().includes('details (i or Esc closes)'), 'the details to close', 5000, () => d.screen());
    d.type('R');
    await d.waitForText(`resumed ${session}`);
    expect(f.list()[0]?.status).toBe('running');
  });

  it('kill-server --yes ends every worker process and the server; nothing is left', async () => {
    const a = ticker('one');
    const b = f.cli(['spawn', '--no-worktree', '--', "bash -c 'trap \"\" HUP TERM; sleep 7103' & echo bg"]).trim();
    await waitFor(() => f.cli(['logs', b]).includes('bg'), 'the second worker', 10_000);
    const server = serverPid(f.stateDir) ?? 0;
    const pids = f.list().map((w) => w.pid ?? 0);
    expect(f.cli(['kill-server', '--yes'])).toMatch(/Stopped the workerdeck server \(pid \d+\) and 2 workers/);
    // Gone: a zombie runs nothing (this machine's init does not reap orphans).
    expect(processGone(server)).toBe(true);
    for (const pid of pids) expect(processGone(pid)).toBe(true);
    // Also the background job that ignores SIGHUP and SIGTERM, in the worker's session.
    for (const pid of pids) expect(sessionPids(pid)).toEqual([]);
    expect(a).toMatch(/^[0-9a-f]{4}$/);
  });
});
