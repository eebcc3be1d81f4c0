/**
 * The real opencode (the pinned `opencode-ai`) as a deck worker with permissions on,
 * its model an OpenAI-compatible provider whose base URL is the scripted stand-in on
 * 127.0.0.1 (test/helpers/fake-openai.ts, `POST /v1/chat/completions`). opencode asks
 * before `bash` only when its config says so; the user's config here does. The deck
 * must see the dialog as a permission prompt its opencode rule can answer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { opencodePreset } from '../../src/agents/opencode.js';
import { call, FakeOpenAI, lastOutputs, pastCalls, text, toolNames, type Reply, type ResponsesRequest } from '../helpers/fake-openai.js';
import { AgentDeckFixture } from '../helpers/agent-e2e.js';

/** opencode's name for the workerdeck `complete` tool (it joins server and tool with `_`). */
const completeTool = (request: ResponsesRequest): string => {
  const name = toolNames(request).find((n) => /workerdeck.*complete$/.test(n));
  if (!name) throw new Error(`the workerdeck tools are not offered: ${toolNames(request).join(', ')}`);
  return name;
};

/** The model: run `touch approved.txt` with bash; once its output is back, complete. */
function script(request: ResponsesRequest): Reply {
  const last = lastOutputs(request).at(-1);
  if (last && /workerdeck.*complete$/.test(last.name)) return text('Reported; done.');
  if (last?.name === 'bash') return call(request, completeTool(request), { summary: `Ran touch after approval: ${last.output?.trim() || 'no output'}` });
  if (pastCalls(request).some((c) => c.name === 'bash')) return text('Already asked.');
  return call(request, 'bash', { command: 'touch approved.txt', description: 'Create approved.txt' });
}

describe('a real opencode worker with permissions on (scripted chat completions on 127.0.0.1)', () => {
  let world: AgentDeckFixture;

  beforeEach(() => {
    world = new AgentDeckFixture('opencode');
    mkdirSync(path.join(world.home.dir, 'config', 'opencode'), { recursive: true });
    world.agentEnv = { OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1' };
  });

  afterEach(() => world.close());

  it("shows opencode's permission dialog as a permission prompt; the rule's allow-once key runs the command and the worker completes", { timeout: 300_000 }, async () => {
    const fake = new FakeOpenAI(script);
    world.fake = fake;
    const url = await fake.start();
    // The user's own opencode config: a provider at the stand-in, and bash asks first.
    const config = {
      $schema: 'https://opencode.ai/config.json',
      provider: { fake: { npm: '@ai-sdk/openai-compatible', name: 'Fake', options: { baseURL: `${url}/v1`, apiKey: 'sk-fake' }, models: { 'fake-model': { name: 'Fake model', tool_call: true } } } },
      model: 'fake/fake-model',
      small_model: 'fake/fake-model',
      autoupdate: false,
      share: 'disabled',
      permission: { bash: 'ask' },
    };
    writeFileSync(path.join(world.home.dir, 'config', 'opencode', 'opencode.json'), JSON.stringify(config));
    await world.openDeck(['--agent', 'opencode']);
    await world.allowOnceUntilCompleted(opencodePreset(undefined), { tool: 'Shell command', detail: 'touch approved.txt' }, '--auto');
    expect(fake.unknown).toEqual([]);
  });
});
