/**
 * The shared setup of the e2e tests that run the real Claude Code CLI (the pinned
 * `@anthropic-ai/claude-code`) as a deck worker against FakeAnthropic on 127.0.0.1:
 * a temp repo and HOME, the deck (the built binary) in a PTY, and the cleanup that
 * leaves no worker, server or file behind. Also the helpers scripts use to read requests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { contentText, FakeAnthropic, text, toolUse, type MessagesRequest, type Reply } from './fake-anthropic.js';
import { tempDir, tempRepo } from './git-repo.js';
import { stopServer } from './e2e.js';
import { BIN, DeckTerminal, processAlive, ROOT, waitFor } from './term.js';

export const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');

export interface ListedWorker {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  command: string[];
  sessionId: string | null;
  worktree: string | null;
  needsInput: { reason: string; source: 'screen' | 'hook' | 'mail' } | null;
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

/** The text of the user messages that are not tool results (the task, the operator's replies). */
export function userTexts(request: MessagesRequest): string[] {
  return request.messages
    .filter((m) => m.role === 'user' && (typeof m.content === 'string' || !m.content.some((b) => b.type === 'tool_result')))
    .map((m) => contentText(m.content));
}

/**
 * Claude Code may send the first prompt before the workerdeck MCP server has
 * connected; its tools are then missing and `WaitForMcpServers` is offered.
 * A model that wants a workerdeck tool waits for the server first, as the tool's
 * description tells it to.
 */
export function viaMcp(request: MessagesRequest, reply: Reply): Reply {
  const offered = new Set((request.tools ?? []).map((t) => t.name));
  const missing = reply.content.some((b) => b.type === 'tool_use' && b.name.startsWith('mcp__workerdeck__') && !offered.has(b.name));
  if (!missing) return reply;
  // "ready: false / Still connecting" comes back while it connects; try again, a few times.
  if (toolsCalled(request).filter((n) => n === 'WaitForMcpServers').length >= 10) return text('The workerdeck MCP server did not connect.');
  if (!offered.has('WaitForMcpServers')) throw new Error(`the workerdeck tools are not offered: ${[...offered].join(', ')}`);
  return toolUse('WaitForMcpServers', { servers: ['workerdeck'] });
}

/** What `claudeDeckFixture` gives a test; the fields are the current test's. */
export interface ClaudeDeck {
  readonly repo: ReturnType<typeof tempRepo>;
  /** The temp HOME of the deck and its workers. */
  readonly home: string;
  readonly stateDir: string;
  readonly fake: FakeAnthropic | null;
  /** Start FakeAnthropic with `script` and the deck with `args`; resolves once the deck shows its footer. */
  open(script: ConstructorParameters<typeof FakeAnthropic>[0], args: string[]): Promise<DeckTerminal>;
  /** `workerdeck list --json`; every pid seen is ended after the test. */
  list(): ListedWorker[];
  /** The screen and the API requests so far, for failure messages. */
  describeAll(d: DeckTerminal): () => string;
  /** Quit the deck, stop the server, and check that no worker process survives it. */
  quit(d: DeckTerminal): Promise<void>;
}

/**
 * Register the beforeEach/afterEach of a Claude e2e suite (call it inside `describe`):
 * a repo Claude trusts, a HOME whose `.claude.json` has onboarding done and the test
 * key approved; after each test every worker pid is killed and checked gone.
 */
export function claudeDeckFixture(): ClaudeDeck {
  let repo: ReturnType<typeof tempRepo>;
  let home: ReturnType<typeof tempDir>;
  let deck: DeckTerminal | null = null;
  let fake: FakeAnthropic | null = null;
  let stateDir: string;
  /** Every worker pid seen, to check that none survives. */
  const pids = new Set<number>();

  beforeEach(() => {
    repo = tempRepo('wd-claude-repo-');
    home = tempDir('wd-claude-home-');
    mkdirSync(path.join(home.dir, 'config', 'workerdeck'), { recursive: true });
    stateDir = path.join(repo.dir, '.git', 'workerdeck');
    // Onboarding done, the test key approved, the repo trusted (which covers its
    // .worktrees/), and the fullscreen-renderer upsell already seen.
    const claudeJson = {
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ['sk-test'], rejected: [] },
      projects: { [repo.dir]: { hasTrustDialogAccepted: true } },
      fullscreenUpsellSeenCount: 3,
    };
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

  const describeAll = (d: DeckTerminal) => () => `${d.screen()}\n--- requests ---\n${fake?.describe() ?? ''}`;

  const open = async (script: ConstructorParameters<typeof FakeAnthropic>[0], args: string[]) => {
    fake = new FakeAnthropic(script);
    const url = await fake.start();
    deck = new DeckTerminal(args, {
      cwd: repo.dir,
      env: {
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_API_KEY: 'sk-test',
        HOME: home.dir,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        IS_SANDBOX: '1',
        PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
        XDG_CONFIG_HOME: path.join(home.dir, 'config'),
        XDG_STATE_HOME: path.join(home.dir, 'state'),
      },
    });
    await deck.waitForText('q quit');
    return deck;
  };

  /** Quit the deck, stop the server, and check that no worker process survives it. */
  const quit = async (d: DeckTerminal) => {
    list();
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    await d.waitForExit();
    await waitFor(() => [...pids].every((pid) => !processAlive(pid)), 'every claude process to exit', 15_000, () => [...pids].join(' '));
  };

  return {
    get repo() {
      return repo;
    },
    get home() {
      return home.dir;
    },
    get stateDir() {
      return stateDir;
    },
    get fake() {
      return fake;
    },
    open,
    list,
    describeAll,
    quit,
  };
}
