/**
 * Shared set-up of e2e tests that run a real agent CLI (Claude Code, Codex,
 * Gemini CLI, opencode) as a deck worker against a scripted stand-in for its
 * API: a temp repo and HOME, the built deck in a PTY, and a teardown that
 * leaves no worker, deck, server or stand-in behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Preset } from '../../src/agents/preset.js';
import type { PermissionAsk, ScreenRule } from '../../src/core/prompt-detect.js';
import { answerFromDeck, cleanEnv, stopServer } from './e2e.js';
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

  /**
   * Spawn "Touch file" with permissions on from the spawn form, and wait until
   * the deck shows the agent's permission dialog as `needs input` asking `ask`
   * (read off the screen). Also checks that the preset's rule with answer keys
   * matches the worker's screen (as `workerdeck logs` gives it) and reads the same ask.
   * @param waitMs how long the agent may take to ask, ms
   */
  async spawnUntilAsked(preset: Preset, ask: PermissionAsk, waitMs: number): Promise<{ worker: AgentListedWorker; rule: ScreenRule }> {
    const d = this.deck!;
    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[ \]/);
    d.type('Touch file');
    d.type('\r');
    const row = new RegExp(`touch-file\\s+${preset.name}\\s+needs input`);
    await waitFor(() => row.test(d.screen()), 'the row to say needs input', waitMs, this.describe);
    const worker = (await waitFor(() => this.list().find((w) => w.needsInput !== null), 'needsInput in list --json', 10_000, this.describe))!;
    expect(worker.needsInput).toMatchObject({ source: 'screen', permission: expect.objectContaining(ask) });
    const rows = this.cli(['logs', worker.id]);
    const rule = preset.promptRules.find((r) => r.pattern.test(rows));
    if (!rule?.answers) throw new Error(`no ${preset.name} rule with answers matches the worker's screen:\n${rows}`);
    expect(rule.describe?.(rows)).toEqual(ask);
    return { worker, rule };
  }

  /**
   * The allow-once path as a user takes it: spawn "Touch file" until the agent asks `ask`
   * (spawnUntilAsked), check that the worker runs without `unsafeFlag` and nothing ran yet,
   * press y in the deck, then wait for the command to run, the row to say completed and the
   * model's reply to show; then quit (`quit`).
   */
  async allowOnceUntilCompleted(preset: Preset, ask: PermissionAsk, unsafeFlag: string): Promise<void> {
    const d = this.deck!;
    const { worker } = await this.spawnUntilAsked(preset, ask, 180_000);
    expect(worker.command).not.toContain(unsafeFlag);
    const worktree = worker.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    await answerFromDeck(d, 'y', this.describe);

    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the approved command to run', 60_000, this.describe);
    const completed = new RegExp(`touch-file\\s+${preset.name}\\s+completed`);
    await waitFor(() => completed.test(d.screen()), 'the row to say completed', 120_000, this.describe);
    expect(d.screen()).toContain('Ran touch after approval');
    await this.quit();
  }

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
