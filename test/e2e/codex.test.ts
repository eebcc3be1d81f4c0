/**
 * The real Codex CLI (the pinned `@openai/codex`) as a deck worker with permissions
 * on, talking to a scripted stand-in for the OpenAI Responses API on 127.0.0.1
 * (test/helpers/fake-openai.ts). The fake model asks to run a command outside the
 * sandbox; Codex shows its approval dialog; the deck must see it as a permission
 * prompt its codex rule can answer, and the rule's keys must do what they say.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codexPreset } from '../../src/agents/codex.js';
import { call, codexFakeProviderArgs, FakeOpenAI, lastOutputs, pastCalls, text, userTexts, type Reply, type ResponsesRequest } from '../helpers/fake-openai.js';
import { AgentDeckFixture } from '../helpers/agent-e2e.js';
import { answerFromDeck } from '../helpers/e2e.js';
import { type DeckTerminal, waitFor } from '../helpers/term.js';

const COMPLETE = 'mcp__workerdeck__complete';

/** The command the fake model asks Codex to run outside the sandbox (Codex then asks the operator). */
const ESCALATED = { cmd: 'touch approved.txt', sandbox_permissions: 'require_escalated', justification: 'Create approved.txt?', prefix_rule: ['touch'] };

/**
 * The model: run `touch approved.txt` with escalated permissions; once its output is
 * back, report completion with the `complete` tool, naming the output; after an
 * operator's prompt that follows a declined command, report what the operator said.
 */
function script(request: ResponsesRequest): Reply {
  const calls = pastCalls(request);
  const last = lastOutputs(request).at(-1);
  if (last?.name === COMPLETE) return text('Reported; done.');
  if (last?.name === 'exec_command') {
    return call(request, COMPLETE, { summary: `Ran touch: ${/exited with code (\d+)/.exec(last.output ?? '')?.[0] ?? last.output}` });
  }
  const declined = calls.find((c) => c.name === 'exec_command' && /aborted by user/.test(c.output ?? ''));
  if (declined) {
    const said = userTexts(request).at(-1) ?? '';
    return call(request, COMPLETE, { summary: `Declined (${declined.output?.split('\n').at(-1)}); operator said: ${said}` });
  }
  if (calls.some((c) => c.name === 'exec_command')) return text('Already asked.');
  return call(request, 'exec_command', ESCALATED);
}

describe('a real Codex worker with permissions on (scripted Responses API on 127.0.0.1)', () => {
  let world: AgentDeckFixture;
  let fake: FakeOpenAI | null = null;

  beforeEach(() => {
    world = new AgentDeckFixture('codex');
    const codexHome = path.join(world.home.dir, '.codex');
    mkdirSync(codexHome, { recursive: true });
    world.agentEnv = { CODEX_HOME: codexHome, FAKE_OPENAI_API_KEY: 'sk-fake-key-for-tests' };
    fake = null;
  });

  afterEach(() => world.close());


  const open = async () => {
    fake = new FakeOpenAI(script);
    world.fake = fake;
    const url = await fake.start();
    // How a user points the codex preset at another provider: its args in the workerdeck config.
    world.writeConfig({ presets: { codex: { args: codexFakeProviderArgs(url) } } });
    return world.openDeck(['--agent', 'codex']);
  };

  const describeAll = (_d: DeckTerminal) => world.describe;

  /** Spawn "Touch file"; resolves once the deck shows Codex's approval of `touch approved.txt`. */
  const spawnUntilAsked = async () => {
    const asked = await world.spawnUntilAsked(codexPreset(undefined), { tool: 'command', detail: 'touch approved.txt' }, 90_000);
    // Permissions on: no bypass flag; Codex runs with its own defaults for a trusted folder
    // (workspace-write sandbox, approvals on request).
    expect(asked.worker.command).not.toContain('--dangerously-bypass-approvals-and-sandbox');
    return asked;
  };

  it("shows Codex's approval as a permission prompt; the rule names the command, and its allow-once key runs it and lets the worker complete", { timeout: 240_000 }, async () => {
    const d = await open();
    const screen = describeAll(d);
    const { worker, rule } = await spawnUntilAsked();
    const worktree = worker.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    expect(rule.answers?.allowOnce).toBe('y');
    await answerFromDeck(d, 'y', screen);

    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the approved command to run', 30_000, screen);
    await waitFor(() => d.screen().includes('Ran touch: exited with code 0'), 'the completion in the panel', 60_000, screen);
    await waitFor(() => /touch-file\s+codex\s+completed/.test(d.screen()), 'the row to say completed', 10_000, screen);
    await waitFor(() => world.list()[0]?.needsInput === null, 'needsInput to clear', 10_000, screen);
    // Allowed once: no rule was saved for later sessions.
    expect(existsSync(path.join(world.home.dir, '.codex', 'rules', 'default.rules'))).toBe(false);

    await world.quit();
    expect(fake!.unknown).toEqual([]);
  });

  it("allows for good with the rule's allow-always key: Codex saves a prefix rule for the command", { timeout: 240_000 }, async () => {
    const d = await open();
    const screen = describeAll(d);
    const { worker, rule } = await spawnUntilAsked();
    expect(rule.answers?.allowAlways).toBe('p');
    await answerFromDeck(d, 'A', screen);
    await waitFor(() => existsSync(path.join(worker.worktree ?? '', 'approved.txt')), 'the approved command to run', 30_000, screen);
    await waitFor(() => /touch-file\s+codex\s+completed/.test(d.screen()), 'the row to say completed', 60_000, screen);
    // `p` is more than this session: Codex writes the prefix rule into CODEX_HOME, for every later session too.
    const rules = readFileSync(path.join(world.home.dir, '.codex', 'rules', 'default.rules'), 'utf8');
    expect(rules).toContain('prefix_rule(pattern=["touch"], decision="allow")');
    await world.quit();
  });

  it("declines with the rule's deny key: nothing runs, and the model learns it with the operator's next prompt", { timeout: 240_000 }, async () => {
    const d = await open();
    const screen = describeAll(d);
    const { worker, rule } = await spawnUntilAsked();
    const worktree = worker.worktree ?? '';

    expect(rule.answers?.deny).toBe('\u001b');
    // Codex ends the turn on a decline and sends nothing to the model; the deck then types the
    // operator's reason as the next prompt, once the dialog has gone.
    await answerFromDeck(d, 'N', screen, 'Do not create files; just report.');
    await waitFor(() => d.screen().includes('Declined (aborted by user); operator'), 'the completion in the panel', 60_000, screen);
    await waitFor(() => /touch-file\s+codex\s+completed/.test(d.screen()), 'the row to say completed', 10_000, screen);
    // What the model got: the declined call's output, Codex's note of the interruption, then the operator's words.
    const after = fake!.turns.find((t) => userTexts(t).at(-1) === 'Do not create files; just report.')!;
    expect(after).toBeDefined();
    expect(pastCalls(after).find((c) => c.name === 'exec_command')?.output).toMatch(/aborted by user/);
    expect(userTexts(after).some((t) => t.includes('<turn_aborted>'))).toBe(true);
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    await world.quit();
    expect(fake!.unknown).toEqual([]);
  });
});
