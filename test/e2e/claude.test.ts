/**
 * The real Claude Code CLI (the pinned `@anthropic-ai/claude-code`) as a deck
 * worker, talking to a scripted stand-in for the Messages API on 127.0.0.1.
 * The deck is the built binary in a PTY, driven by keys as a user would.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentText, lastToolResults, text, toolUse, type MessagesRequest, type Reply } from '../helpers/fake-anthropic.js';
import { claudeDeckFixture, toolsCalled, userTexts, viaMcp } from '../helpers/claude-e2e.js';
import { processAlive, waitFor } from '../helpers/term.js';

describe('a real Claude Code worker (scripted API on 127.0.0.1)', () => {
  const c = claudeDeckFixture();

  // It used to fail now and then under load: the reply's prompt hook ran before the asking turn's Stop,
  // which was then judged by the reply's turn and blocked (fixed in the hook, covered in test/unit/hook.test.ts).
  // One retry stays for the real CLI's own timing on a loaded 2-core machine; a second failure fails CI.
  it('asks through the panel, takes a reply typed with r, completes, and resumes the same session', { retry: 1 }, async () => {
    const script = (request: MessagesRequest): Reply => {
      const called = toolsCalled(request);
      const results = lastToolResults(request);
      const lastCalled = called.at(-1);
      if (results.length > 0 && lastCalled !== 'WaitForMcpServers') {
        return text(lastCalled === 'mcp__workerdeck__ask' ? 'Waiting for the operator.' : 'Reported; done.');
      }
      const reply = userTexts(request).map((t) => /REPLY-[a-z]+/.exec(t)?.[0]).find(Boolean);
      if (reply && called.includes('mcp__workerdeck__ask')) {
        return viaMcp(request, toolUse('mcp__workerdeck__complete', { summary: `Used "${reply}" as told` }));
      }
      return viaMcp(request, toolUse('mcp__workerdeck__ask', { question: 'Which colour should the button be?' }));
    };
    // Type mode (the reply typed into the PTY); wait mode has its own test (claude-ask-wait.test.ts).
    writeFileSync(path.join(c.home, 'config', 'workerdeck', 'config.json'), JSON.stringify({ presets: { claude: { ask: 'type' } } }));
    const d = await c.open(script, ['--agent', 'claude', '--skip-permissions']);
    const screen = c.describeAll(d);

    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[x\]/);
    d.type('Paint button');
    d.type('\r');

    await waitFor(() => /\? paint-button: Which colour/.test(d.screen()), 'the question in the mail panel', 45_000, screen);
    await waitFor(() => /paint-button\s+claude\s+asking/.test(d.screen()), 'the row to say asking', 10_000, screen);
    const [asking] = c.list();
    expect(asking?.command).toContain('--session-id');
    expect(asking?.command).toContain('--dangerously-skip-permissions');
    const sessionId = asking?.sessionId ?? '';
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(asking?.command[asking.command.indexOf('--session-id') + 1]).toBe(sessionId);
    // Claude sent our session id with its requests.
    expect(c.fake!.requests.some((r) => r.headers['x-claude-code-session-id'] === sessionId)).toBe(true);

    d.type('r');
    await d.waitForText('Reply to paint-button');
    d.type('REPLY-teal');
    d.type('\r');

    await waitFor(() => d.screen().includes('Used "REPLY-teal" as told'), 'the completion in the panel', 30_000, screen);
    await waitFor(() => /paint-button\s+claude\s+completed/.test(d.screen()), 'the row to say completed', 10_000, screen);
    // The reply went to Claude as the next user message, typed by the deck.
    const replied = c.fake!.turns.find((t) => userTexts(t).some((u) => u.trim() === 'REPLY-teal'));
    expect(replied).toBeDefined();
    // The Stop hook let the turns end: no request carries its block reason.
    expect(c.fake!.turns.some((t) => t.messages.some((m) => contentText(m.content).includes('You have not reported to the operator')))).toBe(false);

    // Stop the worker, then resume it: the same session id.
    const firstPid = c.list()[0]?.pid ?? 0;
    d.type('x');
    await d.waitForText(/Stop paint-button\? \(y\/n\)/);
    d.type('y');
    await waitFor(() => !processAlive(firstPid), 'the stopped claude to exit', 15_000, screen);
    await d.waitForText('Stopped paint-button');
    d.type('R');
    await d.waitForText('Resumed paint-button', 15_000);
    const resumed = (await waitFor(
      () => {
        const w = c.list()[0];
        return w && w.pid !== null && w.pid !== firstPid && processAlive(w.pid) ? w : undefined;
      },
      'a resumed claude process',
      15_000,
      screen,
    ))!;
    expect(resumed.command.slice(1, 3)).toEqual(['--resume', sessionId]);
    expect(resumed.command).not.toContain('--session-id');
    expect(resumed.sessionId).toBe(sessionId);
    // The resumed Claude loaded the conversation (its screen shows the earlier prompt),
    // and its SessionStart hook reported a resume of the same session.
    await waitFor(() => /❯ REPLY-teal/.test(d.screen()), 'the resumed conversation in the preview', 20_000, screen);
    const sessionFile = path.join(c.stateDir, 'workers', resumed.id, 'session.json');
    const started = await waitFor(
      () => {
        const json = existsSync(sessionFile) ? (JSON.parse(readFileSync(sessionFile, 'utf8')) as { sessionId: string; source: string }) : null;
        return json?.source === 'resume' ? json : null;
      },
      'the SessionStart hook of the resumed claude',
      15_000,
      screen,
    );
    expect(started).toMatchObject({ sessionId, source: 'resume' });

    await c.quit(d);
    expect(c.fake!.unknown).toEqual([]);
  });

  it('shows a permission prompt as needs input; Space, attach, approve and detach let the worker go on', async () => {
    const script = (request: MessagesRequest): Reply => {
      const called = toolsCalled(request);
      const results = lastToolResults(request);
      const lastCalled = called.at(-1);
      if (results.length > 0 && lastCalled === 'mcp__workerdeck__complete') return text('Reported; done.');
      if (results.length > 0 && lastCalled === 'Bash') {
        return viaMcp(request, toolUse('mcp__workerdeck__complete', { summary: 'Created approved.txt after approval' }));
      }
      if (called.includes('Bash')) return viaMcp(request, toolUse('mcp__workerdeck__complete', { summary: 'Created approved.txt after approval' }));
      return toolUse('Bash', { command: 'touch approved.txt', description: 'Create approved.txt' });
    };
    // Claude 2.1.332 defaults to auto mode, whose safety check runs on Anthropic's
    // servers (the request's `safeguards`); a stand-in cannot answer it. The user
    // chose manual approvals through the preset's args in the workerdeck config.
    writeFileSync(
      path.join(c.home, 'config', 'workerdeck', 'config.json'),
      JSON.stringify({ presets: { claude: { args: ['--permission-mode', 'manual'] } } }),
    );
    const d = await c.open(script, ['--agent', 'claude']);
    const screen = c.describeAll(d);

    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[ \]/);
    d.type('Touch file');
    d.type('\r');

    // The screen rule sees Claude's dialog first; its PermissionRequest hook follows
    // (Claude sends it a few seconds later) and, outranking the guess, sets the reason.
    await waitFor(() => /touch-file\s+claude\s+needs input/.test(d.screen()), 'the row to say needs input', 45_000, screen);
    const waiting = await waitFor(
      () => {
        const worker = c.list()[0];
        return worker?.needsInput?.source === 'hook' ? worker : undefined;
      },
      'the Notification hook to set needsInput',
      30_000,
      screen,
    );
    expect(waiting?.needsInput?.reason).toMatch(/permission/i);
    // The PermissionRequest hook's ask (tool and command) stands over the Notification's words.
    await waitFor(() => /! touch-file: permission: Bash/.test(d.screen()), 'the hook reason in the panel', 10_000, screen);
    expect(waiting?.command).not.toContain('--dangerously-skip-permissions');
    const worktree = waiting?.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    // Space jumps to the worker that needs attention, Enter attaches.
    d.type(' ');
    d.type('\r');
    await waitFor(() => !d.screen().includes('q quit'), 'the deck to hand the screen to the worker', 10_000, screen);
    await waitFor(() => /Do you want to proceed\?/.test(d.screen()) && /1\.\s*Yes/.test(d.screen()), 'the permission dialog', 15_000, screen);
    d.type('\r');
    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the approved command to run', 20_000, screen);
    d.type('\u001d');
    await d.waitForText('q quit');

    await waitFor(() => d.screen().includes('Created approved.txt after approval'), 'the completion in the panel', 30_000, screen);
    await waitFor(() => /touch-file\s+claude\s+completed/.test(d.screen()), 'the row to say completed', 10_000, screen);
    // The API saw the tool's result.
    expect(c.fake!.turns.some((t) => toolsCalled(t).includes('Bash') && lastToolResults(t).length > 0)).toBe(true);

    await c.quit(d);
    expect(c.fake!.unknown).toEqual([]);
  });
});
