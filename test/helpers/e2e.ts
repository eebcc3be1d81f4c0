import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { tempDir, tempRepo } from './git-repo.js';
import { BIN, DeckTerminal } from './term.js';

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

/** `workerdeck list --json --state-dir <stateDir>`, run from `cwd`. */
export function listWorkers(cwd: string, stateDir: string): ListedWorker[] {
  const out = execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', stateDir], { cwd, encoding: 'utf8' });
  return JSON.parse(out) as ListedWorker[];
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
      return f.deck;
    },
    list: (): ListedWorker[] => listWorkers(f.repo.dir, f.stateDir),
  };
  beforeEach(() => {
    f.repo = tempRepo();
    f.home = tempDir('wd-home-');
    mkdirSync(f.configHome, { recursive: true });
    f.stateDir = path.join(f.repo.dir, '.git', 'workerdeck');
  });
  afterEach(() => {
    f.deck?.kill();
    f.deck = null;
    f.repo.cleanup();
    f.home.cleanup();
  });
  return f;
}
