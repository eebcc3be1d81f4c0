/**
 * Shared set-up of e2e tests that run the real Claude Code CLI (the pinned
 * `@anthropic-ai/claude-code`) as a deck worker against FakeAnthropic: a temp
 * repo and HOME, the built deck in a PTY, and teardown that leaves no worker,
 * deck or server process behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FakeAnthropic, text, toolUse, type MessagesRequest, type Reply } from './fake-anthropic.js';
import { tempDir, tempRepo } from './git-repo.js';
import { stopServer } from './e2e.js';
import { BIN, DeckTerminal, processAlive, ROOT, waitFor } from './term.js';

const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');

export interface ClaudeListedWorker {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  command: string[];
  worktree: string | null;
  needsInput: {
    reason: string;
    source: 'screen' | 'hook' | 'mail';
    permission?: { id: string; tool: string; detail: string; allowAlways: boolean };
  } | null;
}

/** The names of the tools the assistant called so far in this conversation, in order. */
export function toolsCalled(request: MessagesRequest): string[] {
  const names: string[] = [];
  for (const message of request.messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const block of message.content) if (block.type === 'tool_use') names.push(String(block.name));
  }
  return names;
}

/**
 * A reply that calls a workerdeck MCP tool, or `WaitForMcpServers` first when
 * Claude has not connected the workerdeck server yet (its tools are not offered).
 */
export function viaMcp(request: MessagesRequest, reply: Reply): Reply {
  const offered = new Set((request.tools ?? []).map((t) => t.name));
  const missing = reply.content.some((b) => b.type === 'tool_use' && b.name.startsWith('mcp__workerdeck__') && !offered.has(b.name));
  if (!missing) return reply;
  if (toolsCalled(request).filter((n) => n === 'WaitForMcpServers').length >= 10) return text('The workerdeck MCP server did not connect.');
  if (!offered.has('WaitForMcpServers')) throw new Error(`the workerdeck tools are not offered: ${[...offered].join(', ')}`);
  return toolUse('WaitForMcpServers', { servers: ['workerdeck'] });
}

/**
 * One test's world: `open` starts FakeAnthropic and the deck; `close` (in
 * afterEach) stops the deck, the server, every worker process seen, and the
 * fake, then removes the temp dirs.
 */
export class ClaudeDeckFixture {
  readonly repo = tempRepo('wd-claude-repo-');
  readonly home = tempDir('wd-claude-home-');
  readonly stateDir = path.join(this.repo.dir, '.git', 'workerdeck');
  deck: DeckTerminal | null = null;
  fake: FakeAnthropic | null = null;
  /** Every worker pid seen, to check that none survives. */
  readonly pids = new Set<number>();

  /**
   * @param config the user's workerdeck config.json (e.g. the preset's permission mode)
   */
  constructor(config: Record<string, unknown> = {}) {
    mkdirSync(path.join(this.home.dir, 'config', 'workerdeck'), { recursive: true });
    writeFileSync(path.join(this.home.dir, 'config', 'workerdeck', 'config.json'), JSON.stringify(config));
    // Onboarding done, the test key approved, the repo trusted, the fullscreen upsell seen.
    const claudeJson = {
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ['sk-test'], rejected: [] },
      projects: { [this.repo.dir]: { hasTrustDialogAccepted: true } },
      fullscreenUpsellSeenCount: 3,
    };
    writeFileSync(path.join(this.home.dir, '.claude.json'), `${JSON.stringify(claudeJson)}\n`);
  }

  list(): ClaudeListedWorker[] {
    if (!existsSync(path.join(this.stateDir, 'state.json'))) return [];
    const workers = JSON.parse(execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', this.stateDir], { encoding: 'utf8' })) as ClaudeListedWorker[];
    for (const w of workers) if (w.pid !== null) this.pids.add(w.pid);
    return workers;
  }

  /** The deck's screen, the API requests and the needs-input and permission lines of events.jsonl, for failure messages. */
  readonly describe = () => {
    const events = path.join(this.stateDir, 'events.jsonl');
    const lines = existsSync(events)
      ? readFileSync(events, 'utf8')
          .split('\n')
          .filter((l) => /"type":"(needs-input|permission-answered|mail-received)"/.test(l))
          .map((l) => l.slice(0, 400))
      : [];
    return `${this.deck?.screen() ?? ''}\n--- requests ---\n${this.fake?.describe() ?? ''}\n--- events ---\n${lines.join('\n')}`;
  };

  async open(script: ConstructorParameters<typeof FakeAnthropic>[0], args: string[]): Promise<DeckTerminal> {
    this.fake = new FakeAnthropic(script);
    const url = await this.fake.start();
    this.deck = new DeckTerminal(args, {
      cwd: this.repo.dir,
      env: {
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_API_KEY: 'sk-test',
        HOME: this.home.dir,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        IS_SANDBOX: '1',
        PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
        XDG_CONFIG_HOME: path.join(this.home.dir, 'config'),
        XDG_STATE_HOME: path.join(this.home.dir, 'state'),
      },
    });
    await this.deck.waitForText('q quit');
    return this.deck;
  }

  /** Quit with Q, y; every worker process must be gone. */
  async quit(): Promise<void> {
    const d = this.deck!;
    this.list();
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    await d.waitForExit();
    await waitFor(() => [...this.pids].every((pid) => !processAlive(pid)), 'every claude process to exit', 15_000, () => [...this.pids].join(' '));
  }

  async close(): Promise<void> {
    try {
      this.list();
    } catch {
      // no readable state: no pids to add
    }
    this.deck?.kill();
    this.deck = null;
    await stopServer(this.stateDir);
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
    // A dying Claude may still write its logs under HOME; remove until nothing is left.
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
