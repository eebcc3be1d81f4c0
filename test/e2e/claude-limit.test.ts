/**
 * Issue 12, usage limits: the real Claude Code CLI, signed in with an OAuth
 * token as a subscriber is, against a stand-in Messages API that refuses with
 * a usage limit. The deck (the built binary in a PTY) shows the worker
 * `limited` with the reset time, and `notify.command` hears of it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic, text } from '../helpers/fake-anthropic.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';
import { stopServer } from '../helpers/e2e.js';
import { BIN, DeckTerminal, processAlive, ROOT, waitFor } from '../helpers/term.js';

const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');

interface ListedWorker {
  id: string;
  name: string;
  pid: number | null;
  limit?: { text: string; resetAt: number | null; resumesItself: boolean } | null;
}

describe('a real Claude Code worker that hits its usage limit', () => {
  let repo: ReturnType<typeof tempRepo>;
  let home: ReturnType<typeof tempDir>;
  let deck: DeckTerminal | null = null;
  let fake: FakeAnthropic | null = null;
  let stateDir: string;
  const pids = new Set<number>();

  beforeEach(() => {
    repo = tempRepo('wd-limit-repo-');
    home = tempDir('wd-limit-home-');
    stateDir = path.join(repo.dir, '.git', 'workerdeck');
    // Onboarding done, the repo trusted, the fullscreen-renderer upsell already seen.
    const claudeJson = { hasCompletedOnboarding: true, projects: { [repo.dir]: { hasTrustDialogAccepted: true } }, fullscreenUpsellSeenCount: 3 };
    writeFileSync(path.join(home.dir, '.claude.json'), `${JSON.stringify(claudeJson)}\n`);
    pids.clear();
  });

  afterEach(async () => {
    try {
      list();
    } catch {
      // no readable state: no pids to add
    }
    deck?.kill();
    deck = null;
    await stopServer(stateDir);
    for (const pid of pids) {
      try {
        if (processAlive(pid)) process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await waitFor(() => [...pids].every((pid) => !processAlive(pid)), 'the worker processes to die', 10_000);
    await fake?.stop();
    fake = null;
    // A dying Claude may still write its logs under HOME; remove until nothing is left.
    for (const dir of [repo, home]) {
      await waitFor(
        () => {
          try {
            dir.cleanup();
          } catch {
            // ENOTEMPTY while a writer finishes; try again
          }
          return !existsSync(dir.dir);
        },
        `removing ${dir.dir}`,
        10_000,
      );
    }
  });

  const list = (): ListedWorker[] => {
    if (!existsSync(path.join(stateDir, 'state.json'))) return [];
    const workers = JSON.parse(execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', stateDir], { encoding: 'utf8' })) as ListedWorker[];
    for (const w of workers) if (w.pid !== null) pids.add(w.pid);
    return workers;
  };

  it('shows limited with the reset time, in list --json too, and runs notify.command with a limit event', async () => {
    const notified = path.join(home.dir, 'notified.jsonl');
    mkdirSync(path.join(home.dir, 'config', 'workerdeck'), { recursive: true });
    writeFileSync(path.join(home.dir, 'config', 'workerdeck', 'config.json'), JSON.stringify({ notify: { command: `cat >> '${notified}'` } }));
    fake = new FakeAnthropic(() => text('Hello.'));
    // Claude prints the reset to the minute, in the process's zone (TZ=UTC below).
    const resetAt = Math.floor(Date.now() / 60_000) * 60 + 3 * 3600;
    fake.usageLimit = { resetAt };
    const url = await fake.start();
    deck = new DeckTerminal(['--agent', 'claude', '--skip-permissions'], {
      cwd: repo.dir,
      env: {
        ANTHROPIC_BASE_URL: url,
        CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test',
        HOME: home.dir,
        TZ: 'UTC',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        IS_SANDBOX: '1',
        PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
        XDG_CONFIG_HOME: path.join(home.dir, 'config'),
        XDG_STATE_HOME: path.join(home.dir, 'state'),
      },
    });
    const d = deck;
    const screen = () => `${d.screen()}\n--- requests ---\n${fake?.describe() ?? ''}`;
    await d.waitForText('q quit');
    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('Tidy the docs');
    d.type('\r');

    const hhmm = new Date(resetAt * 1000).toISOString().slice(11, 16);
    await waitFor(() => /tidy-the-docs\s+claude\s+limited/.test(d.screen()), 'the row to say limited', 60_000, screen);
    const [worker] = list();
    expect(worker?.limit).toMatchObject({ resetAt: resetAt * 1000, resumesItself: true });
    expect(worker?.limit?.text).toMatch(/limit/);
    const events = await waitFor(
      () => {
        const lines = existsSync(notified) ? readFileSync(notified, 'utf8').trim().split('\n').filter(Boolean) : [];
        const parsed = lines.map((l) => JSON.parse(l) as { event: string; worker: { name: string }; text: string });
        return parsed.some((e) => e.event === 'limit') ? parsed : null;
      },
      'notify.command to hear of the limit',
      15_000,
      screen,
    );
    expect(events?.filter((e) => e.event === 'limit')).toEqual([expect.objectContaining({ worker: expect.objectContaining({ name: 'tidy-the-docs' }) })]);
    // The details view says why.
    d.type('i');
    await d.waitForText(/limited: its agent hit a usage limit/);
    expect(d.screen()).toContain(`(resets ${hhmm}; its agent continues by`);
  });
});
