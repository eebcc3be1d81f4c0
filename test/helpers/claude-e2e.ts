/**
 * Shared set-up of e2e tests that run the real Claude Code CLI (the pinned
 * `@anthropic-ai/claude-code`) as a deck worker against FakeAnthropic: a temp
 * repo and HOME, the built deck in a PTY, and teardown that leaves no worker,
 * deck or server process behind.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { AgentDeckFixture, type AgentListedWorker } from './agent-e2e.js';
import { contentText, FakeAnthropic, text, toolUse, type MessagesRequest, type Reply } from './fake-anthropic.js';
import type { DeckTerminal } from './term.js';

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
 * One test's world (see AgentDeckFixture), with Claude Code's own state under
 * HOME: onboarding done, the test key approved, the repo trusted, the
 * fullscreen upsell seen.
 */
export class ClaudeDeckFixture extends AgentDeckFixture {
  override fake: FakeAnthropic | null = null;

  /**
   * @param config the user's workerdeck config.json (e.g. the preset's permission mode)
   */
  constructor(config: Record<string, unknown> = {}) {
    super('claude', config);
    const claudeJson = {
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: ['sk-test'], rejected: [] },
      projects: { [this.repo.dir]: { hasTrustDialogAccepted: true } },
      fullscreenUpsellSeenCount: 3,
    };
    writeFileSync(path.join(this.home.dir, '.claude.json'), `${JSON.stringify(claudeJson)}\n`);
  }

  /** The deck's screen, the API requests and the needs-input and permission lines of events.jsonl, for failure messages. */
  override readonly describe = () => {
    const events = path.join(this.stateDir, 'events.jsonl');
    const lines = existsSync(events)
      ? readFileSync(events, 'utf8')
          .split('\n')
          .filter((l) => /"type":"(needs-input|permission-answered|mail-received)"/.test(l))
          .map((l) => l.slice(0, 400))
      : [];
    return `${this.deck?.screen() ?? ''}\n--- requests ---\n${this.fake?.describe() ?? ''}\n--- events ---\n${lines.join('\n')}`;
  };

  /**
   * Start FakeAnthropic with `script` and the deck with `args`, Claude signed in
   * with an API key (or, with `signIn: 'oauth'`, a subscriber's OAuth token).
   */
  async open(script: ConstructorParameters<typeof FakeAnthropic>[0], args: string[], signIn: 'api-key' | 'oauth' = 'api-key'): Promise<DeckTerminal> {
    this.fake = new FakeAnthropic(script);
    const url = await this.fake.start();
    this.agentEnv = {
      ANTHROPIC_BASE_URL: url,
      ...(signIn === 'oauth' ? { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test' } : { ANTHROPIC_API_KEY: 'sk-test' }),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      IS_SANDBOX: '1',
      ...this.agentEnv,
    };
    return this.openDeck(args);
  }
}

/** What `claudeDeckFixture` gives a test; the fields are the current test's. */
export interface ClaudeDeck {
  readonly repo: ClaudeDeckFixture['repo'];
  /** The temp HOME of the deck and its workers. */
  readonly home: string;
  readonly stateDir: string;
  readonly fake: FakeAnthropic | null;
  /** Start FakeAnthropic with `script` and the deck with `args`; resolves once the deck shows its footer. */
  open(script: ConstructorParameters<typeof FakeAnthropic>[0], args: string[]): Promise<DeckTerminal>;
  /** `workerdeck list --json`; every pid seen is ended after the test. */
  list(): AgentListedWorker[];
  /** The screen and the API requests so far, for failure messages. */
  describeAll(d: DeckTerminal): () => string;
  /** Quit the deck, stop the server, and check that no worker process survives it. */
  quit(d: DeckTerminal): Promise<void>;
}

/**
 * Register the beforeEach/afterEach of a Claude e2e suite (call it inside
 * `describe`): a fresh ClaudeDeckFixture with the user's workerdeck `config`
 * per test, closed after it.
 */
export function claudeDeckFixture(config: Record<string, unknown> = {}): ClaudeDeck {
  let world: ClaudeDeckFixture;
  beforeEach(() => {
    world = new ClaudeDeckFixture(config);
  });
  afterEach(() => world.close());
  return {
    get repo() {
      return world.repo;
    },
    get home() {
      return world.home.dir;
    },
    get stateDir() {
      return world.stateDir;
    },
    get fake() {
      return world.fake;
    },
    open: (script, args) => world.open(script, args),
    list: () => world.list(),
    describeAll: () => world.describe,
    quit: () => world.quit(),
  };
}
