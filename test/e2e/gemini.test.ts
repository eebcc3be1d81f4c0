/**
 * The real Gemini CLI (the pinned `@google/gemini-cli`) as a deck worker with
 * permissions on, talking to a scripted stand-in for the Gemini API on 127.0.0.1
 * (test/helpers/fake-gemini.ts) through `GOOGLE_GEMINI_BASE_URL`. Gemini asks before
 * `run_shell_command`; the deck must see the dialog as a permission prompt its gemini
 * rule can answer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { geminiPreset } from '../../src/agents/gemini.js';
import { FakeGemini } from '../helpers/fake-gemini.js';
import { call, lastOutputs, pastCalls, text, toolNames, type Reply, type ResponsesRequest } from '../helpers/fake-openai.js';
import { AgentDeckFixture } from '../helpers/agent-e2e.js';

/** Gemini's name for the workerdeck `complete` tool. */
const completeTool = (request: ResponsesRequest): string => {
  const name = toolNames(request).find((n) => /^(mcp_)?(workerdeck\w*)?complete$/.test(n));
  if (!name) throw new Error(`the workerdeck tools are not offered: ${toolNames(request).join(', ')}`);
  return name;
};

/** The model: run `touch approved.txt` with the shell tool; once its output is back, complete. */
function script(request: ResponsesRequest): Reply {
  const last = lastOutputs(request).at(-1);
  if (last && /complete$/.test(last.name)) return text('Reported; done.');
  if (last?.name === 'run_shell_command') return call(request, completeTool(request), { summary: 'Ran touch after approval' });
  if (pastCalls(request).some((c) => c.name === 'run_shell_command')) return text('Already asked.');
  return call(request, 'run_shell_command', { command: 'touch approved.txt', description: 'Create approved.txt' });
}

describe('a real Gemini CLI worker with permissions on (scripted Gemini API on 127.0.0.1)', () => {
  let world: AgentDeckFixture;

  beforeEach(() => {
    world = new AgentDeckFixture('gemini');
    // The API key is the way in: no sign-in dialog.
    mkdirSync(path.join(world.home.dir, '.gemini'), { recursive: true });
    writeFileSync(path.join(world.home.dir, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
  });

  afterEach(() => world.close());

  it("shows Gemini's shell approval as a permission prompt; the rule's allow-once key runs the command and the worker completes", { timeout: 300_000 }, async () => {
    const fake = new FakeGemini(script);
    world.fake = fake;
    world.agentEnv = { GEMINI_API_KEY: 'fake-key-for-tests', GOOGLE_GEMINI_BASE_URL: await fake.start() };
    await world.openDeck(['--agent', 'gemini']);
    await world.allowOnceUntilCompleted(geminiPreset(undefined), { tool: 'Shell', detail: 'touch approved.txt' }, 'yolo');
    expect(fake.unknown).toEqual([]);
  });
});
