import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processGone } from '../helpers/deck.js';
import { describe, expect, it } from 'vitest';
import { DeckTerminal, processAlive, waitFor } from '../helpers/term.js';
import { tempDir } from '../helpers/git-repo.js';
import { deckFixture, serverPid, stopServer } from '../helpers/e2e.js';

describe('the deck, as a user drives it (built binary at 120x40)', () => {
  const f = deckFixture();
  const open = f.open;

  /** Spawn a shell worker running `sleep 300` through the form; its pid once it runs. */
  const spawnSleeper = async (d: DeckTerminal): Promise<number> => {
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('sleep 300\r');
    await waitFor(() => f.list()[0]?.status === 'running', 'a running worker', 15_000, () => d.screen());
    return f.list()[0]?.pid ?? 0;
  };

  it('spawns a shell worker, previews it, attaches, detaches in every encoding, stops it and quits cleanly', async () => {
    const d = open();
    await d.waitForText('workerdeck');
    await d.waitForText('q quit');
    expect(d.raw).toContain('\u001b[?1049h');

    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('echo hello-$((1+1))');
    d.type('\r');
    await d.waitForText('hello-2');
    await d.waitForText(/running/);
    const [worker] = f.list();
    expect(worker?.status).toBe('running');
    expect(worker?.branch).toMatch(/^worker\/echo-hello-1-1-[0-9a-f]{4}$/);
    const pid = worker?.pid ?? 0;
    expect(processAlive(pid)).toBe(true);

    // Attach: the deck stops drawing and the worker's screen takes the terminal.
    d.type('\r');
    await waitFor(() => !d.screen().includes('q quit'), 'the deck to stop drawing', 10_000, () => d.screen());
    d.type('echo attached-$((3+4))\r');
    await d.waitForText('attached-7');

    // Detach with the legacy byte, then kitty, then modifyOtherKeys.
    for (const [encoding, bytes] of [
      ['legacy', '\u001d'],
      ['kitty', '\u001b[93;5u'],
      ['modifyOtherKeys', '\u001b[27;5;93~'],
    ] as const) {
      d.type(bytes);
      await d.waitForText('q quit');
      await d.waitForText('Workers');
      await d.waitForText('attached-7');
      expect(d.screen(), `deck intact after ${encoding} detach`).toMatch(/running/);
      d.type('a');
      await waitFor(() => !d.screen().includes('q quit'), `re-attach after ${encoding}`, 10_000, () => d.screen());
    }
    d.type('\u001d');
    await d.waitForText('q quit');

    d.type('x');
    await d.waitForText(/Stop echo-hello-1-1\? \(y\/n\)/);
    d.type('y');
    await waitFor(() => f.list()[0]?.status === 'stopped', 'the worker to be stopped', 15_000, () => d.screen());
    const stopped = f.list()[0];
    expect(stopped?.worktree && existsSync(stopped.worktree)).toBe(true);
    expect(f.repo.git('worktree', 'list')).toContain(stopped?.worktree ?? '<none>');
    expect(f.repo.git('branch', '--list', stopped?.branch ?? '<none>')).toContain(stopped?.branch ?? '<none>');
    expect(readFileSync(path.join(f.repo.dir, '.git', 'info', 'exclude'), 'utf8')).toContain('.worktrees/');

    d.type('q');
    const exit = await d.waitForExit();
    expect(exit.exitCode).toBe(0);
    // The terminal left the alternate screen last.
    expect(d.raw.lastIndexOf('\u001b[?1049l')).toBeGreaterThan(d.raw.lastIndexOf('\u001b[?1049h'));
    expect(processAlive(pid)).toBe(false);
  });

  it('leaves its workers running when it quits, and Q stops every worker and the server', async () => {
    const d = open();
    await d.waitForText('q quit');
    const pid = await spawnSleeper(d);
    const server = serverPid(f.stateDir) ?? 0;
    expect(processAlive(server)).toBe(true);
    d.type('q');
    await d.waitForExit();
    expect(d.raw.slice(d.raw.lastIndexOf('\u001b[?1049l'))).toContain('Detached from 1 running worker; run workerdeck to come back.');
    expect(processAlive(pid)).toBe(true);
    expect(f.list()[0]?.status).toBe('running');

    const again = open();
    await again.waitForText(/sleep-300\s+shell\s+running/);
    again.type('Q');
    await again.waitForText('Stop 1 running worker and the server, and quit? Worktrees are kept. (y/n)');
    again.type('y');
    await again.waitForExit();
    await waitFor(() => processGone(pid) && processGone(server), 'the worker and the server to be gone', 10_000);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`restores the terminal on ${signal} and leaves the workers to the server`, async () => {
      const d = open();
      await d.waitForText('q quit');
      const pid = await spawnSleeper(d);
      process.kill(d.pty.pid, signal);
      await d.waitForExit();
      expect(d.raw.lastIndexOf('\u001b[?1049l')).toBeGreaterThan(d.raw.lastIndexOf('\u001b[?1049h'));
      expect(processAlive(pid)).toBe(true);
      expect(f.list()[0]?.status).toBe('running');
    });
  }

  it('prints an unexpected error under the restored terminal', async () => {
    // A preload throws inside the deck process once it is up: an uncaught error from nowhere in particular.
    const preload = path.join(f.home.dir, 'boom.mjs');
    // Only in the TUI (the server it starts gets the same NODE_OPTIONS), once the test sends SIGUSR2.
    writeFileSync(
      preload,
      "if (!process.argv.includes('serve')) process.on('SIGUSR2', () => setTimeout(() => { throw new Error('injected failure for the test'); }));\n",
    );
    const d = open(['--agent', 'shell'], 120, 40, { NODE_OPTIONS: `--import=${preload}` });
    await d.waitForText('q quit');
    process.kill(d.pty.pid, 'SIGUSR2');
    const exit = await d.waitForExit();
    expect(exit.exitCode).toBe(1);
    const after = d.raw.slice(d.raw.lastIndexOf('\u001b[?1049l'));
    expect(d.raw.lastIndexOf('\u001b[?1049l')).toBeGreaterThan(d.raw.lastIndexOf('\u001b[?1049h'));
    expect(after).toContain('injected failure for the test');
  });

  it('takes the spawn form\'s skip-permissions default from the user config when --skip-permissions is not given', async () => {
    mkdirSync(path.join(f.home.dir, 'config', 'workerdeck'), { recursive: true });
    writeFileSync(path.join(f.home.dir, 'config', 'workerdeck', 'config.json'), JSON.stringify({ skipPermissions: true }));
    const d = open(['--agent', 'claude']);
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText('[x] yes: the agent runs tools without asking');
    d.type('\u001b');
    await d.waitForText('q quit');
    d.type('q');
    await d.waitForExit();
  });

  it('keeps running on bad input: unknown preset, missing command, worktree outside a repo, broken config', async () => {
    // The user config names a command that does not exist; the repo config is broken.
    mkdirSync(path.join(f.home.dir, 'config', 'workerdeck'), { recursive: true });
    execFileSync('sh', ['-c', `printf '{"presets":{"custom":{"command":"definitely-not-a-command-wd"}}}' > "${path.join(f.home.dir, 'config', 'workerdeck', 'config.json')}"`]);
    execFileSync('sh', ['-c', `printf '{"skipPermissions":"yes"}' > .workerdeck.json`], { cwd: f.repo.dir });
    const d = open(['--agent', 'no-such-preset']);
    await d.waitForText('q quit');
    await d.waitForText(/⚠ 2 \(w\)/);
    d.type('w');
    await d.waitForText(/\.workerdeck\.json: field "skipPermissions"/);
    await d.waitForText(/Unknown agent preset "no-such-preset"/);
    d.type('w');
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    // Pick the custom preset whose command does not exist.
    d.type('\t\t');
    await d.waitForText('› Agent');
    d.type('\u001b[C'); // → from shell to custom
    await d.waitForText('◀ custom ▶');
    d.type('\r');
    await d.waitForText(/Command not found|has no command/);
    expect(d.exit).toBeNull();
    // Nothing was left behind by the failed spawn.
    expect(f.list()).toHaveLength(0);
    expect(f.repo.git('branch', '--list', 'worker/*').trim()).toBe('');
    expect(existsSync(path.join(f.repo.dir, '.worktrees')) ? execFileSync('ls', [path.join(f.repo.dir, '.worktrees')], { encoding: 'utf8' }).trim() : '').toBe('');
    d.type('\u001b');
    await waitFor(() => !d.screen().includes('Spawn a worker'), 'the form to close', 5000, () => d.screen());
    d.type('q');
    await d.waitForExit();

    // Outside a repo, a spawn with a worktree is refused with a clear message.
    const plain = tempDir();
    try {
      const e = new DeckTerminal(['--agent', 'shell', '--state-dir', path.join(plain.dir, 'state')], {
        cwd: plain.dir,
        env: { XDG_CONFIG_HOME: path.join(f.home.dir, 'config') },
      });
      f.deck = e;
      await e.waitForText('q quit');
      e.type('n');
      await e.waitForText('Spawn a worker');
      await e.waitForText('[ ] no, run in the current directory');
      e.type('\t\t\t '); // Worktree field, toggled on
      await e.waitForText('[x] yes');
      e.type('\r');
      await e.waitForText('not inside a git repository');
      expect(e.exit).toBeNull();
      e.type('\u001b');
      await waitFor(() => !e.screen().includes('Spawn a worker'), 'the form to close', 5000, () => e.screen());
      e.type('q');
      await e.waitForExit();
    } finally {
      await stopServer(path.join(plain.dir, 'state'));
      plain.cleanup();
    }
  });

  it('draws with the theme it is given, and without colour under NO_COLOR', async () => {
    const light = open(['--agent', 'shell', '--theme', 'light'], 120, 40, { COLORTERM: 'truecolor' });
    await light.waitForText('q quit');
    // The light theme's header colour #2e7de9 as a truecolour SGR.
    expect(light.raw).toContain('38;2;46;125;233');
    light.type('q');
    await light.waitForExit();
    const plain = open(['--agent', 'shell'], 120, 40, { NO_COLOR: '1' });
    await plain.waitForText('q quit');
    expect(plain.raw).not.toMatch(/\u001b\[[0-9;]*(3[0-7]|38;[25];[0-9;]+|9[0-7])m/);
    plain.type('q');
    await plain.waitForExit();
  });

  it('lays out at 80x24 and survives a resize', async () => {
    const d = open(undefined, 80, 24);
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('echo small-$((2*3))\r');
    await d.waitForText('small-6');
    const rows = d.screen().split('\n');
    expect(rows).toHaveLength(24);
    expect(rows[0]).toMatch(/^workerdeck/);
    expect(rows.at(-1)).toMatch(/q quit/);
    // Every pane border row is whole: no line is wider than the terminal or torn.
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(80);
    // A whole frame at the new size: header on the first row, hints on the last, borders closed at the edge.
    const whole = (cols: number, rows: number) => () => {
      const lines = d.screen().split('\n');
      return (
        lines.length === rows &&
        lines[0]?.startsWith('workerdeck') &&
        lines[rows - 1]?.includes('q quit') &&
        lines[1]?.trimEnd().endsWith('╮') &&
        [...(lines[1]?.trimEnd() ?? '')].length === cols &&
        lines.filter((l) => l.startsWith('workerdeck')).length === 1
      );
    };
    d.resize(120, 40);
    await waitFor(whole(120, 40), 'a whole frame at 120x40', 10_000, () => d.screen());
    await d.waitForText('small-6');
    d.resize(90, 30);
    await waitFor(whole(90, 30), 'a whole frame at 90x30', 10_000, () => d.screen());
    await d.waitForText('small-6');
    d.type('q');
    await d.waitForExit();
  });

  it('shows its workers again after a restart of the client, and of the server with their last screen from the transcript', async () => {
    const d = open();
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('echo remembered-$((40+2))\r');
    await d.waitForText('remembered-42');
    d.type('q');
    await d.waitForExit();

    const again = open();
    await again.waitForText(/echo-remember\S*\s+shell\s+running/);
    await again.waitForText('remembered-42');
    again.type('q');
    await again.waitForExit();

    f.cli(['kill-server', '--yes']);
    const third = open();
    await third.waitForText('echo-remembered');
    await third.waitForText('remembered-42');
    expect(third.screen()).toMatch(/stopped/);
    third.type('q');
    await third.waitForExit();
  });
});
