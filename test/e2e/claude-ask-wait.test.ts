/**
 * Ask in wait mode with the real Claude Code CLI (the claude preset's default): the
 * operator's reply, written with `r` in the deck, comes back to the model as the
 * result of its `mcp__workerdeck__ask` call, and nothing is typed into the PTY.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentText, lastToolResults, text, toolUse, type MessagesRequest, type Reply } from '../helpers/fake-anthropic.js';
import { claudeDeckFixture, toolsCalled, userTexts, viaMcp } from '../helpers/claude-e2e.js';
import { waitFor } from '../helpers/term.js';

const ANSWER = 'REPLY-violet';

describe('a real Claude Code worker asks in wait mode', () => {
  const c = claudeDeckFixture();

  it("gets the operator's reply as the ask tool's result; nothing is typed into its PTY", async () => {
    const script = (request: MessagesRequest): Reply => {
      const called = toolsCalled(request);
      const lastCalled = called.at(-1);
      const results = lastToolResults(request);
      if (results.length > 0 && lastCalled === 'mcp__workerdeck__complete') return text('Reported; done.');
      if (results.length > 0 && lastCalled === 'mcp__workerdeck__ask') {
        const answer = contentText(results as Record<string, unknown>[]);
        const got = /REPLY-[a-z]+/.exec(answer)?.[0];
        return viaMcp(request, toolUse('mcp__workerdeck__complete', { summary: got ? `Got "${got}" back` : `No answer: ${answer.slice(0, 80)}` }));
      }
      if (called.includes('mcp__workerdeck__ask')) return text('Already asked.');
      return viaMcp(request, toolUse('mcp__workerdeck__ask', { question: 'Which colour should the badge be?' }));
    };
    const d = await c.open(script, ['--agent', 'claude', '--skip-permissions']);
    const screen = c.describeAll(d);

    d.type('n');
    await d.waitForText('Spawn a worker');
    d.type('Paint badge');
    d.type('\r');

    await waitFor(() => /\? paint-badge: Which colour/.test(d.screen()), 'the question in the mail panel', 45_000, screen);
    await waitFor(() => /paint-badge\s+claude\s+asking/.test(d.screen()), 'the row to say asking', 10_000, screen);
    const [asking] = c.list();
    // The preset waits: the MCP server's env and Claude's per-server tool timeout say so.
    const mcpConfig = JSON.parse(asking!.command[asking!.command.indexOf('--mcp-config') + 1]!) as {
      mcpServers: { workerdeck: { env: Record<string, string>; timeout: number } };
    };
    expect(Number(mcpConfig.mcpServers.workerdeck.env.WORKERDECK_ASK_WAIT)).toBeGreaterThan(0);
    expect(mcpConfig.mcpServers.workerdeck.timeout).toBeGreaterThan(Number(mcpConfig.mcpServers.workerdeck.env.WORKERDECK_ASK_WAIT) * 1000);

    d.type('r');
    await d.waitForText('Reply to paint-badge');
    d.type(ANSWER);
    d.type('\r');

    await waitFor(() => d.screen().includes(`Got "${ANSWER}" back`), 'the completion in the panel', 30_000, screen);
    await waitFor(() => /paint-badge\s+claude\s+completed/.test(d.screen()), 'the row to say completed', 10_000, screen);
    // The thread says how the reply went.
    expect(d.screen()).toContain('you replied (tool result)');

    const fake = c.fake!;
    // The ask call's tool_result carried the reply.
    const answered = fake.turns.find((t) => toolsCalled(t).at(-1) === 'mcp__workerdeck__ask' && lastToolResults(t).length > 0);
    expect(answered).toBeDefined();
    expect(contentText(lastToolResults(answered!) as Record<string, unknown>[])).toContain(`The operator's answer:\n${ANSWER}`);
    // Nothing was typed: no user message carries the reply, and the worker's PTY never showed it as a prompt.
    expect(fake.turns.some((t) => userTexts(t).some((u) => u.includes(ANSWER)))).toBe(false);
    const transcript = readFileSync(path.join(c.stateDir, 'transcripts', `${asking!.id}.log`), 'utf8');
    expect(transcript).not.toMatch(new RegExp(`❯\\s*${ANSWER}`));
    // The Stop hook did not block: the agent reported (complete) after the answer.
    expect(fake.turns.some((t) => t.messages.some((m) => contentText(m.content).includes('You have not reported to the operator')))).toBe(false);
    // The record: the reply is in events.jsonl, marked as delivered as the tool result.
    const events = readFileSync(path.join(c.stateDir, 'events.jsonl'), 'utf8');
    expect(events).toMatch(new RegExp(`"operator-wrote".*"content":"${ANSWER}".*"via":"tool-result"`));
    expect(existsSync(path.join(c.stateDir, 'workers', asking!.id, 'ask'))).toBe(true);

    await c.quit(d);
    expect(fake.unknown).toEqual([]);
  });
});
