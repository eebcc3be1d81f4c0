/**
 * Issue 12: a real Claude Code worker's permission prompt answered from the
 * deck, without attaching, through Claude's PermissionRequest hook. The deck
 * is the built binary in a PTY; the model is FakeAnthropic on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastToolResults, text, toolUse, contentText, type MessagesRequest, type Reply } from '../helpers/fake-anthropic.js';
import { ClaudeDeckFixture, toolsCalled, viaMcp } from '../helpers/claude-e2e.js';
import { waitFor } from '../helpers/term.js';

/** Claude 2.1.332 defaults to auto mode, whose checks run on Anthropic's servers; manual mode asks the operator. */
const MANUAL = { presets: { claude: { args: ['--permission-mode', 'manual'] } } };

/** The model: run `command` with Bash; once its result is back, report it with `complete`. */
function bashThenComplete(command: string) {
  return (request: MessagesRequest): Reply => {
    const called = toolsCalled(request);
    const results = lastToolResults(request);
    const lastCalled = called.at(-1);
    if (results.length > 0 && lastCalled === 'mcp__workerdeck__complete') return text('Reported; done.');
    if (called.includes('Bash')) {
      const bash = request.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).find((b) => b.type === 'tool_result');
      const summary = bash?.is_error ? `Bash refused: ${contentText([bash])}` : 'Bash ran';
      return viaMcp(request, toolUse('mcp__workerdeck__complete', { summary: summary.replace(/\s+/g, ' ').slice(0, 300) }));
    }
    return toolUse('Bash', { command, description: 'Touch a file' });
  };
}

interface PermissionLine {
  type: string;
  name: string;
  source: string;
  tool: string;
  detail: string;
  answer: string;
  reason: string | null;
}

function permissionLines(stateDir: string): PermissionLine[] {
  const file = path.join(stateDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PermissionLine)
    .filter((e) => e.type === 'permission-answered');
}

/** The tool_result Claude sent back for the Bash call, once there is one. */
function bashResult(request: MessagesRequest): Record<string, unknown> | undefined {
  if (!toolsCalled(request).includes('Bash')) return undefined;
  return request.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).find((b) => b.type === 'tool_result');
}

describe('answering a real Claude Code permission prompt from the deck (scripted API)', () => {
  let world: ClaudeDeckFixture | null = null;

  afterEach(async () => {
    await world?.close();
    world = null;
  });

  const spawn = async (task: string) => {
    const d = world!.deck!;
    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[ \]/);
    d.type(task);
    d.type('\r');
  };

  it('shows the command as needs input; y allows it without attaching, and the worker completes', async () => {
    world = new ClaudeDeckFixture(MANUAL);
    const w = world;
    const d = await w.open(bashThenComplete('touch approved.txt'), ['--agent', 'claude']);
    await spawn('Touch file');

    await waitFor(() => /touch-file\s+claude\s+needs input/.test(d.screen()), 'the row to say needs input', 45_000, w.describe);
    // The panel shows the ask (the row's note starts with it), and the footer names the answer keys.
    await waitFor(() => /Permission asked: Bash/.test(d.screen()) && /││ {2}touch approved\.txt/.test(d.screen()), 'the ask in the panel', 15_000, w.describe);
    expect(d.screen()).toMatch(/! touch-file: permission: Bash/);
    // Claude shows its own dialog beside the hook: the screen may put the ask up first; the hook's replaces it.
    const waiting = await waitFor(() => w.list().find((x) => x.needsInput?.source === 'hook'), 'the hook to ask', 15_000, w.describe);
    expect(waiting?.needsInput?.permission).toMatchObject({ tool: 'Bash', detail: 'touch approved.txt' });
    expect(d.screen()).toMatch(/y allow\s+A always\s+N deny/);
    const worktree = waiting?.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    d.type('y');
    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the allowed command to run', 20_000, w.describe);
    await waitFor(() => d.screen().includes('Bash ran'), 'the completion in the panel', 30_000, w.describe);
    await waitFor(() => /touch-file\s+claude\s+completed/.test(d.screen()), 'the row to say completed', 10_000, w.describe);
    // Never attached: the deck's footer was on screen throughout, and the keys are gone with the prompt.
    expect(d.screen()).not.toMatch(/y allow/);
    const result = w.fake!.turns.map(bashResult).find(Boolean);
    expect(result?.is_error).not.toBe(true);
    expect(permissionLines(w.stateDir)).toEqual([
      expect.objectContaining({ name: 'touch-file', source: 'hook', tool: 'Bash', detail: 'touch approved.txt', answer: 'allow-once', reason: null }),
    ]);

    await w.quit();
    expect(w.fake!.unknown).toEqual([]);
  });

  it('N with a reason denies it: the model receives the refusal with the reason', async () => {
    world = new ClaudeDeckFixture(MANUAL);
    const w = world;
    const d = await w.open(bashThenComplete('touch denied.txt'), ['--agent', 'claude']);
    await spawn('Touch other');

    await waitFor(() => /││ {2}touch denied\.txt/.test(d.screen()), 'the ask in the panel', 45_000, w.describe);
    await waitFor(() => w.list().find((x) => x.needsInput?.source === 'hook'), 'the hook to ask', 15_000, w.describe);
    d.type('N');
    await d.waitForText('Reason (optional');
    d.type('Use the API instead');
    d.type('\r');

    await waitFor(() => d.screen().includes('Bash refused'), 'the completion in the panel', 30_000, w.describe);
    const result = w.fake!.turns.map(bashResult).find(Boolean);
    expect(result?.is_error).toBe(true);
    expect(contentText([result!])).toContain('Use the API instead');
    const worktree = w.list()[0]?.worktree ?? '';
    expect(existsSync(path.join(worktree, 'denied.txt'))).toBe(false);
    expect(permissionLines(w.stateDir)).toEqual([
      expect.objectContaining({ name: 'touch-other', source: 'hook', tool: 'Bash', detail: 'touch denied.txt', answer: 'deny', reason: 'Use the API instead' }),
    ]);

    await w.quit();
    expect(w.fake!.unknown).toEqual([]);
  });

  it('without an answer in permissionTimeout, Claude keeps its dialog; y then answers it on the screen', async () => {
    world = new ClaudeDeckFixture({ ...MANUAL, permissionTimeout: 1 });
    const w = world;
    const d = await w.open(bashThenComplete('touch screen.txt'), ['--agent', 'claude']);
    await spawn('Touch screen');

    // The hook gives up after 1 s and prints nothing; the screen rule reads Claude's own dialog.
    const waiting = await waitFor(
      () => w.list().find((x) => x.needsInput?.source === 'screen' && x.needsInput.permission?.detail === 'touch screen.txt'),
      'the ask from the screen',
      60_000,
      w.describe,
    );
    expect(waiting?.needsInput?.permission).toMatchObject({ tool: 'Bash', allowAlways: true });
    await waitFor(() => /││ {2}touch screen\.txt/.test(d.screen()), 'the ask in the panel', 10_000, w.describe);
    const worktree = waiting?.worktree ?? '';
    d.type('y');
    await waitFor(() => existsSync(path.join(worktree, 'screen.txt')), 'the command allowed on the screen to run', 20_000, w.describe);
    await waitFor(() => d.screen().includes('Bash ran'), 'the completion in the panel', 30_000, w.describe);
    expect(permissionLines(w.stateDir)).toEqual([
      expect.objectContaining({ name: 'touch-screen', source: 'screen', tool: 'Bash', detail: 'touch screen.txt', answer: 'allow-once', reason: null }),
    ]);

    await w.quit();
  });
});
