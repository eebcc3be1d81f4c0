/**
 * Shared set-up of e2e tests that run a real agent CLI (Claude Code, Codex,
 * Gemini CLI, opencode) as a deck worker against a scripted stand-in for its
 * API: a temp repo and HOME, the built deck in a PTY, and a teardown that
 * leaves no worker, deck, server or stand-in behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv, stopServer } from './e2e.js';
import { tempDir, tempRepo } from './git-repo.js';
import { BIN, DeckTerminal, processAlive, ROOT, waitFor } from './term.js';

const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');

/** A worker as `workerdeck list --json` gives it: the fields these tests read. */
export interface AgentListedWorker {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  command: string[];
  worktree: string | null;
  sessionId: string | null;
  needsInput: {
    reason: string;
    source: 'screen' | 'hook' | 'mail';
    permission?: { id: string; tool: string; detail: string; allowAlways: boolean };
  } | null;
  limit?: { text: string; resetAt: number | null; resumesItself: boolean } | null;
}

/** An API stand-in (test/helpers/fake-*.ts) as the fixture sees it. */
export interface FakeApi {
  stop(): Promise<void>;
  /** Its requests, for failure messages. */
  describe(): string;
}

/**
 * One test's world. `open` starts the deck; `close` (in afterEach) stops the
 * deck, the server, every worker process seen and the stand-in, then removes
 * the temp dirs.
 */
export class AgentDeckFixture {
  readonly repo: ReturnType<typeof tempRepo>;
  readonly home: ReturnType<typeof tempDir>;
  readonly stateDir: string;
  deck: DeckTerminal | null = null;
  fake: FakeApi | null = null;
  /** Every worker pid seen, to check that none survives. */
  readonly pids = new Set<number>();
  /** The agent's own env (its API's address, a key), on top of HOME, PATH and the XDG dirs. */
  agentEnv: Record<string, string> = {};

  /**
   * @param agent names the temp dirs (`wd-<agent>-repo-…`)
   * @param config the user's workerdeck config.json
   */
  constructor(agent: string, config: Record<string, unknown> = {}) {
    this.repo = tempRepo(`wd-${agent}-repo-`);
    this.home = tempDir(`wd-${agent}-home-`);
    this.stateDir = path.join(this.repo.dir, '.git', 'workerdeck');
    this.writeConfig(config);
  }

  /** Write the user's workerdeck config.json. */
  writeConfig(config: Record<string, unknown>): void {
    mkdirSync(path.join(this.home.dir, 'config', 'workerdeck'), { recursive: true });
    writeFileSync(path.join(this.home.dir, 'config', 'workerdeck', 'config.json'), JSON.stringify(config));
  }

  /** The env of the deck, its server and its workers: everything of theirs under the temp HOME. */
  env(): Record<string, string> {
    const home = this.home.dir;
    return {
      HOME: home,
      PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
      ...this.agentEnv,
    };
  }

  /** Run `workerdeck <args> --state-dir <state>` from the repo; its stdout. */
  cli(args: string[]): string {
    return execFileSync(process.execPath, [BIN, ...args, '--state-dir', this.stateDir], { cwd: this.repo.dir, encoding: 'utf8', env: { ...cleanEnv(), ...this.env() } });
  }

  /** `list --json`; every pid it names is remembered for the teardown. */
  list(): AgentListedWorker[] {
    if (!existsSync(path.join(this.stateDir, 'state.json'))) return [];
    const workers = JSON.parse(this.cli(['list', '--json'])) as AgentListedWorker[];
    for (const w of workers) if (w.pid !== null) this.pids.add(w.pid);
    return workers;
  }

  /** Start the built deck in a PTY in the repo, with `args`; resolves once its first frame is drawn. */
  async openDeck(args: string[]): Promise<DeckTerminal> {
    this.deck = new DeckTerminal(args, { cwd: this.repo.dir, env: this.env() });
    await this.deck.waitForText('q quit');
    return this.deck;
  }

  /** The deck's screen and the stand-in's requests, for failure messages. */
  readonly describe = (): string => `${this.deck?.screen() ?? ''}\n--- requests ---\n${this.fake?.describe() ?? ''}`;

  /** Quit with Q, y; every worker process must be gone. */
  async quit(): Promise<void> {
    const d = this.deck!;
    this.list();
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    await d.waitForExit();
    await waitFor(() => [...this.pids].every((pid) => !processAlive(pid)), 'every worker process to exit', 15_000, () => [...this.pids].join(' '));
  }

  /** Stop everything this test started, by pid, and remove its temp dirs. */
  async close(): Promise<void> {
    try {
      this.list();
    } catch {
      // no readable state: no pids to add
    }
    this.deck?.kill();
    this.deck = null;
    await stopServer(this.stateDir, [...this.pids]);
    for (const pid of this.pids) {
      if (!processAlive(pid)) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    await waitFor(() => [...this.pids].every((pid) => !processAlive(pid)), 'the worker processes to die', 10_000);
    await this.fake?.stop();
    this.fake = null;
    // A dying agent may still write under HOME; remove until nothing is left.
    for (const dir of [this.repo, this.home]) {
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
  }
}
