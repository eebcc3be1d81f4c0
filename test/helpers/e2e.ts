import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { processGone } from './deck.js';
import { afterEach, beforeEach } from 'vitest';
import { tempDir, tempRepo } from './git-repo.js';
import { BIN, DeckTerminal, waitFor } from './term.js';

/** A worker as `workerdeck list --json` prints it (the fields tests read). */
export interface ListedWorker {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  worktree: string | null;
  branch: string | null;
  exitCode: number | null;
  command: string[];
}

/** This process's environment without any WORKERDECK_ variable (tests run inside workers too). */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WORKERDECK_')) env[k] = v;
  return env;
}

/** `workerdeck list --json --state-dir <stateDir>`, run from `cwd`. */
export function listWorkers(cwd: string, stateDir: string): ListedWorker[] {
  const out = execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', stateDir], { cwd, encoding: 'utf8' });
  return JSON.parse(out) as ListedWorker[];
}

/** The pid in a state dir's `deck.pid` (its server), or null when there is none. */
export function serverPid(stateDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(stateDir, 'deck.pid'), 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Stop the server a test's client started, by the pid in its lock file:
 * SIGTERM (it stops its workers' sessions and exits within 2 s), SIGKILL
 * after 10 s, and wait until it and every given worker pid is gone.
 */
export async function stopServer(stateDir: string, workerPids: number[] = []): Promise<void> {
  const pid = serverPid(stateDir);
  if (pid !== null && !processGone(pid)) {
    process.kill(pid, 'SIGTERM');
    try {
      await waitFor(() => processGone(pid), `the server (pid ${pid}) to exit`, 10_000);
    } catch (error) {
      process.kill(pid, 'SIGKILL');
      throw error;
    }
  }
  await waitFor(() => workerPids.every((p) => processGone(p)), `no worker process left of ${workerPids.join(', ')}`, 10_000);
}

/**
 * Per test: a temp git repo, a temp config home, and `open()` to start the
 * built deck in it at `cols`×`rows`; the deck is killed and the dirs removed
 * after each test.
 */
export function deckFixture() {
  const f = {
    repo: null as unknown as ReturnType<typeof tempRepo>,
    home: null as unknown as ReturnType<typeof tempDir>,
    stateDir: '',
    deck: null as DeckTerminal | null,
    /** Every client opened in this test; all are killed after it. */
    decks: [] as DeckTerminal[],
    /** The config home, for XDG_CONFIG_HOME. */
    get configHome(): string {
      return path.join(f.home.dir, 'config');
    },
    open(args: string[] = ['--agent', 'shell'], cols = 120, rows = 40, env: Record<string, string> = {}): DeckTerminal {
      f.deck = new DeckTerminal(args, {
        cwd: f.repo.dir,
        cols,
        rows,
        env: { XDG_CONFIG_HOME: f.configHome, XDG_STATE_HOME: path.join(f.home.dir, 'state'), PS1: '$ ', ...env },
      });
      f.decks.push(f.deck);
      return f.deck;
    },
    /** Run the built binary with arguments in the repo (a CLI subcommand); its stdout. */
    cli(args: string[], input?: string): string {
      return execFileSync(process.execPath, [BIN, '--state-dir', f.stateDir, ...args], {
        cwd: f.repo.dir,
        encoding: 'utf8',
        env: { ...cleanEnv(), XDG_CONFIG_HOME: f.configHome, XDG_STATE_HOME: path.join(f.home.dir, 'state'), PS1: '$ ' },
        ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }),
      });
    },
    list: (): ListedWorker[] => listWorkers(f.repo.dir, f.stateDir),
  };
  beforeEach(() => {
    f.repo = tempRepo();
    f.home = tempDir('wd-home-');
    mkdirSync(f.configHome, { recursive: true });
    f.stateDir = path.join(f.repo.dir, '.git', 'workerdeck');
  });
  afterEach(async () => {
    for (const d of f.decks.splice(0)) d.kill();
    f.deck = null;
    let pids: number[] = [];
    try {
      pids = f.list().flatMap((w) => (w.pid ? [w.pid] : []));
    } catch {
      // No readable state: no workers to wait for.
    }
    await stopServer(f.stateDir, pids);
    f.repo.cleanup();
    f.home.cleanup();
  });
  return f;
}

/**
 * Answer the selected worker's permission prompt from the deck, without
 * attaching: `y` allow once, `A` allow always, `N` deny with `reason` typed
 * into the deny box (Enter sends). The deck re-reads the worker's screen (or
 * asks the hook) and answers with the preset's keys.
 */
export async function answerFromDeck(d: DeckTerminal, key: 'y' | 'A' | 'N', screen: () => string, reason = ''): Promise<void> {
  await waitFor(() => /y allow once · (A always · )?N deny/.test(d.screen()), 'the answers in the panel', 15_000, screen);
  d.type(key);
  if (key === 'N') {
    await d.waitForText(/Deny \S+/);
    d.type(reason);
    d.type('\r');
  }
}

/**
 * Spawn a shell worker whose task is `stty -echo` through the form, then
 * attach to it with Enter; resolves once the deck has stopped drawing.
 * @param list the fixture's `list --json`
 */
export async function spawnAndAttach(d: DeckTerminal, list: () => ListedWorker[]): Promise<void> {
  d.type('n');
  await d.waitForText('Spawn a worker');
  d.type('stty -echo\r');
  await waitFor(() => list()[0]?.status === 'running', 'a running worker', 15_000, () => d.screen());
  // The form is busy until the deck hears back; Enter typed before then would be lost to it.
  await d.waitForText('Spawned stty-echo');
  d.type('\r');
  await waitFor(() => !d.screen().includes('q quit'), 'the deck to stop drawing (attached)', 10_000, () => d.screen());
}
