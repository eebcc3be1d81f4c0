/**
 * Issue 12: permission prompts answered from the deck. The pure parts (Claude's
 * hook input and output, the reducer, the screen check), then a real Deck with
 * a FakePty and inline mirrors for the screen path, and the hook path through
 * a real socket server in this process.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { claudePermissionAsk, claudePermissionOutput, DENIED_WITHOUT_REASON } from '../../src/agents/claude-permission.js';
import { claudePreset, describeClaudeDialog } from '../../src/agents/claude.js';
import { commandPreset } from '../../src/agents/shell.js';
import { runPermissionHook } from '../../src/client/permission-hook.js';
import { emptyDeckState, reduce } from '../../src/core/deck-state.js';
import { screenAnswerKeys, screenNeedsInput, screenPrompt } from '../../src/core/permission.js';
import type { ScreenRule } from '../../src/core/prompt-detect.js';
import { newWorkerRecord, type NeedsInput } from '../../src/core/worker.js';
import { fakeSpawner } from '../../src/pty/fake-pty.js';
import { Permissions } from '../../src/server/permissions.js';
import { execute } from '../../src/server/execute.js';
import { makeDeck, request, serveInProcess } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Claude Code 2.1.332's PermissionRequest hook input, as the pinned CLI sent it to a hook (captured in a tmux check). */
const CLAUDE_INPUT = {
  session_id: '9ec8c63a-7c5e-4acf-921a-4d8cc77b169b',
  transcript_path: '/tmp/home/.claude/projects/-tmp-repo--worktrees-second-file-ee58/9ec8c63a-7c5e-4acf-921a-4d8cc77b169b.jsonl',
  cwd: '/tmp/repo/.worktrees/second-file-ee58',
  prompt_id: '77ef5a2a-060b-4704-9da2-67dbaf6df2f8',
  permission_mode: 'default',
  effort: { level: 'medium' },
  hook_event_name: 'PermissionRequest',
  tool_name: 'Bash',
  tool_input: { command: 'touch approved.txt', description: 'Create approved.txt' },
  permission_suggestions: [
    { type: 'addDirectories', directories: ['/tmp/repo/.worktrees/second-file-ee58'], destination: 'session' },
    { type: 'setMode', mode: 'acceptEdits', destination: 'session' },
  ],
};

/** Claude 2.1.332's Bash permission dialog, as a worker's screen shows it (captured in the e2e test). */
const CLAUDE_DIALOG = [
  '● Bash(touch approved.txt)',
  '  ⎿  Waiting…',
  '',
  '──────────────────────────────────────────────',
  ' Bash command',
  ' Tip: auto mode handles these prompts for you — choose "switch to auto mode"',
  ' below',
  ' Touch a file',
  '╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌',
  ' touch approved.txt',
  '╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌',
  ' Do you want to proceed?',
  ' ❯ 1. Yes',
  '   2. Yes, and always allow access to',
  '      /tmp/repo/.worktrees/touch-file-1da8 from this project',
  '   3. Yes, and switch to auto mode · auto mode handles these prompts for you',
  '   4. No',
  '',
  ' Esc to cancel · Tab to amend',
];

describe("Claude Code's PermissionRequest hook (2.1.332 shapes)", () => {
  it('reads the tool, its command or file, and whether Claude offers "always"', () => {
    expect(claudePermissionAsk(CLAUDE_INPUT)).toEqual({ tool: 'Bash', detail: 'touch approved.txt', allowAlways: true });
    expect(claudePermissionAsk({ tool_name: 'Edit', tool_input: { file_path: '/r/a.ts', old_string: 'a', new_string: 'b' } })).toEqual({
      tool: 'Edit',
      detail: '/r/a.ts',
      allowAlways: false,
    });
    expect(claudePermissionAsk({ tool_name: 'mcp__x__y', tool_input: { n: 1 } })?.detail).toBe('{"n":1}');
    expect(claudePermissionAsk({ hook_event_name: 'Stop' })).toBeNull();
  });

  it('prints hookSpecificOutput.decision: allow, allow with Claude\'s suggestions as updatedPermissions, deny with the reason', () => {
    const out = (answer: 'allow-once' | 'allow-always' | 'deny', reason: string | null = null) =>
      JSON.parse(claudePermissionOutput({ answer, reason }, CLAUDE_INPUT)) as unknown;
    expect(out('allow-once')).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } } });
    expect(out('allow-always')).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow', updatedPermissions: CLAUDE_INPUT.permission_suggestions } },
    });
    expect(out('deny', 'Use the API')).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'Use the API' } } });
    expect(out('deny')).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: DENIED_WITHOUT_REASON } } });
  });

  it('prints nothing (Claude shows its own dialog) when no server answers', async () => {
    const state = tempDir('wd-perm-noserver-');
    cleanups.push(() => state.cleanup());
    expect(await runPermissionHook({ input: CLAUDE_INPUT, workerId: 'ab12', stateDir: state.dir, version: 'test' })).toBe('');
  });

  it("reads the ask off Claude's own dialog, and its keys: 1, 2 (always), Esc", () => {
    expect(describeClaudeDialog(CLAUDE_DIALOG.join('\n'))).toEqual({ tool: 'Bash', detail: 'touch approved.txt' });
    const found = screenPrompt(CLAUDE_DIALOG, claudePreset(undefined).promptRules);
    expect(found).toEqual({
      reason: 'permission: Bash touch approved.txt',
      permission: { ask: { tool: 'Bash', detail: 'touch approved.txt' }, keys: { allowOnce: '1', allowAlways: '2', deny: '\u001b' } },
    });
    // The older dialog without "Yes, and …": no allow-always.
    const short = ['Bash command', '  rm -rf build', 'Do you want to proceed?', '❯ 1. Yes', '  2. No, and tell Claude what to do differently (esc)'];
    expect(screenPrompt(short, claudePreset(undefined).promptRules)?.permission?.keys).toEqual({ allowOnce: '1', deny: '\u001b' });
  });
});

describe('the reducer and permission asks', () => {
  const ask: NeedsInput = {
    reason: 'permission: Bash ls',
    source: 'hook',
    since: 1,
    permission: { id: 'ask-1', tool: 'Bash', detail: 'ls', allowAlways: false },
  };
  const running = () => {
    let s = emptyDeckState();
    s = reduce(s, { type: 'worker-added', worker: newWorkerRecord({ id: 'w', name: 'w', agent: 'claude', cwd: '/', createdAt: 1, status: 'running' }) });
    return reduce(s, { type: 'needs-input', id: 'w', needsInput: ask, source: 'hook' });
  };
  const answered = (askId: string) =>
    ({ type: 'permission-answered', id: 'w', name: 'w', askId, source: 'hook', tool: 'Bash', detail: 'ls', answer: 'allow-once', reason: null, at: 2 }) as const;

  it('clears the ask it answers, and only that one', () => {
    expect(reduce(running(), answered('other')).workers.w?.needsInput).toEqual(ask);
    expect(reduce(running(), answered('ask-1')).workers.w?.needsInput).toBeNull();
  });

  it("keeps the hook's ask over the agent's notification of the same dialog; a new turn clears it", () => {
    const mail = (content: string, seq: number) =>
      ({ type: 'mail-received', message: { id: `m${seq}`, seq, workerId: 'w', workerName: 'w', type: 'needs-input', content, timestamp: 5, inReplyTo: null } }) as const;
    const notified = reduce(running(), mail('Claude needs your permission to use Bash', 1));
    expect(notified.workers.w?.needsInput).toEqual(ask);
    expect(reduce(notified, mail('', 2)).workers.w?.needsInput).toBeNull();
  });

  it('drops the ask when the worker exits', () => {
    const s = reduce(running(), { type: 'worker-exited', id: 'w', exitCode: 0, signal: null, stopRequested: false, reason: null, at: 3 });
    expect(s.workers.w?.needsInput).toBeNull();
  });
});

/** A dialog like Codex's: a rule with answer keys and a reader (the real rules live in the presets). */
const DIALOG_RULE: ScreenRule = {
  pattern: /Allow command\?\n\s*\$ .+\n.*\[y\] yes/,
  reason: 'permission prompt',
  answers: { allowOnce: 'y', allowAlways: 'p', deny: '\u001b' },
  describe: (text) => {
    const command = /\$ (.+)/.exec(text)?.[1];
    return command ? { tool: 'command', detail: command } : null;
  },
};
const dialog = (command: string) => ['Working…', 'Allow command?', `  $ ${command}`, '[y] yes  [p] always  [esc] no'];

describe('the screen path check (pure)', () => {
  it('shows the ask once, with a new id only when the dialog asks something new', () => {
    let n = 0;
    const id = () => `s${++n}`;
    const first = screenNeedsInput(dialog('rm -rf build'), [DIALOG_RULE], null, 10, id);
    expect(first).toEqual({
      reason: 'permission: command rm -rf build',
      source: 'screen',
      since: 10,
      permission: { id: 's1', tool: 'command', detail: 'rm -rf build', allowAlways: true },
    });
    expect(screenNeedsInput(dialog('rm -rf build'), [DIALOG_RULE], first!, 20, id)).toBeUndefined();
    expect(screenNeedsInput(dialog('rm -rf dist'), [DIALOG_RULE], first!, 20, id)?.permission?.id).toBe('s2');
    expect(screenNeedsInput(['$ '], [DIALOG_RULE], first!, 30, id)).toBeNull();
  });

  it('gives the key only while the same dialog is on screen', () => {
    const waiting = screenNeedsInput(dialog('rm -rf build'), [DIALOG_RULE], null, 10, () => 'a')!;
    expect(screenAnswerKeys(dialog('rm -rf build'), [DIALOG_RULE], waiting, 'allow-once')).toEqual({ keys: 'y' });
    expect(screenAnswerKeys(dialog('rm -rf build'), [DIALOG_RULE], waiting, 'allow-always')).toEqual({ keys: 'p' });
    expect(screenAnswerKeys(dialog('rm -rf build'), [DIALOG_RULE], waiting, 'deny')).toEqual({ keys: '\u001b' });
    expect(screenAnswerKeys(dialog('rm -rf dist'), [DIALOG_RULE], waiting, 'allow-once')).toEqual({ refused: expect.stringMatching(/asks something else/) });
    expect(screenAnswerKeys(['$ '], [DIALOG_RULE], waiting, 'allow-once')).toEqual({ refused: expect.stringMatching(/no longer on its screen/) });
    const once = { ...DIALOG_RULE, answers: { allowOnce: 'y', deny: 'n' } };
    expect(screenAnswerKeys(dialog('rm -rf build'), [once], waiting, 'allow-always')).toEqual({ refused: expect.stringMatching(/no "allow always"/) });
  });
});

async function dialogDeck(timeoutMs = 60_000) {
  const cwd = tempDir('wd-perm-cwd-');
  const state = tempDir('wd-perm-state-');
  cleanups.push(() => cwd.cleanup(), () => state.cleanup());
  const spawner = fakeSpawner();
  const presets = new Map([['dialog', { ...commandPreset('dialog', { command: '/bin/sh' }), promptRules: [DIALOG_RULE] }]]);
  const made = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets });
  const { deck } = made;
  const worker = await deck.spawn(request({ agent: 'dialog', name: 'dlg' }));
  const pty = spawner.spawned[0]!;
  cleanups.push(async () => {
    const stopping = deck.shutdown(0);
    pty.emitExit({ exitCode: null, signal: 15 });
    await stopping;
  });
  const permissions = Permissions.of(deck, timeoutMs);
  const events = async () => {
    await made.registry.flush();
    return readFileSync(made.layout.eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === 'permission-answered');
  };
  const asked = () => deck.getState().workers[worker.id]?.needsInput?.permission;
  return { deck, worker, pty, permissions, events, asked };
}

describe('the screen path in the Deck (FakePty, inline mirror)', () => {
  it('types the key only when the same dialog is still on screen, and logs the answer', async () => {
    const { worker, pty, permissions, events, asked } = await dialogDeck();
    pty.emitData(`${dialog('rm -rf build').join('\r\n')}`);
    const first = await waitFor(() => asked(), 'the ask from the screen', 5000);
    expect(first).toMatchObject({ tool: 'command', detail: 'rm -rf build', allowAlways: true });

    // The screen changes before the deck looked again: refused, nothing typed.
    pty.emitData('\u001b[2J\u001b[H' + dialog('rm -rf dist').join('\r\n'));
    const writes = pty.writes.length;
    await expect(permissions.answer(worker.id, first!, 'allow-once', null)).rejects.toThrow(/asks something else.*nothing was typed/);
    expect(pty.writes.length).toBe(writes);
    expect(await events()).toEqual([]);

    const second = await waitFor(() => (asked()?.detail === 'rm -rf dist' ? asked() : undefined), 'the new ask', 5000);
    expect(await permissions.answer(worker.id, second!, 'allow-always', null)).toMatch(/Allowed always: command rm -rf dist \(dlg\)/);
    expect(pty.writes.slice(writes)).toEqual(['p']);
    expect(asked()).toBeUndefined();
    expect(await events()).toEqual([
      expect.objectContaining({ id: worker.id, name: 'dlg', source: 'screen', tool: 'command', detail: 'rm -rf dist', answer: 'allow-always', reason: null }),
    ]);
  });

  it('types a deny reason as the next prompt once the dialog is gone', async () => {
    const { worker, pty, permissions, events, asked } = await dialogDeck();
    pty.emitData(dialog('rm -rf build').join('\r\n'));
    const ask = await waitFor(() => asked(), 'the ask from the screen', 5000);
    const writes = pty.writes.length;
    const done = permissions.answer(worker.id, ask!, 'deny', 'Keep the build');
    // The agent takes the deny key and closes its dialog.
    await waitFor(() => pty.writes.slice(writes).includes('\u001b'), 'the deny key', 5000);
    pty.emitData('\u001b[2J\u001b[H> ');
    expect(await done).toMatch(/Denied: command rm -rf build \(dlg\), with the reason typed/);
    expect(pty.writes.slice(writes)).toEqual(['\u001b', 'Keep the build', '\r']);
    expect(await events()).toEqual([expect.objectContaining({ source: 'screen', answer: 'deny', reason: 'Keep the build' })]);
  });
});

describe('the hook path (a real socket server in this process)', () => {
  it("waits for the operator's answer and prints Claude's decision", async () => {
    const { deck, worker, asked } = await dialogDeck();
    const { server, client } = await serveInProcess(deck, deck.layout.socket);
    cleanups.push(() => server.close(), () => client.close());
    const hook = runPermissionHook({ input: CLAUDE_INPUT, workerId: worker.id, stateDir: deck.layout.dir, version: 'test' });
    const ask = await waitFor(() => asked(), 'the hook ask on the worker', 5000);
    expect(deck.getState().workers[worker.id]?.needsInput).toMatchObject({ source: 'hook', reason: 'permission: Bash touch approved.txt' });
    const ctx = { killServer: () => undefined, setPreviewSize: () => undefined };
    await execute(deck, { type: 'permission-answer', id: worker.id, askId: ask!.id, tool: ask!.tool, detail: ask!.detail, answer: 'deny', reason: 'Not now' }, ctx);
    expect(JSON.parse(await hook)).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'Not now' } } });
    expect(asked()).toBeUndefined();
  });

  it('gives up after the timeout: no output, the ask leaves the worker', async () => {
    const { deck, worker, asked } = await dialogDeck(300);
    const { server, client } = await serveInProcess(deck, deck.layout.socket);
    cleanups.push(() => server.close(), () => client.close());
    const hook = runPermissionHook({ input: CLAUDE_INPUT, workerId: worker.id, stateDir: deck.layout.dir, version: 'test' });
    await waitFor(() => asked(), 'the hook ask on the worker', 5000);
    expect(await hook).toBe('');
    expect(asked()).toBeUndefined();
  });

  it('shows a second ask of the same worker again once the first is answered', async () => {
    const { worker, permissions, asked } = await dialogDeck();
    const first = permissions.ask(worker.id, { tool: 'Bash', detail: 'ls a', allowAlways: false });
    const firstAsk = asked()!;
    const second = permissions.ask(worker.id, { tool: 'Bash', detail: 'ls b', allowAlways: false });
    const secondAsk = asked()!;
    expect(secondAsk.detail).toBe('ls b');
    await permissions.answer(worker.id, secondAsk, 'allow-once', null);
    expect(await second).toEqual({ answer: 'allow-once', reason: null });
    expect(asked()).toEqual(firstAsk);
    await permissions.answer(worker.id, firstAsk, 'deny', null);
    expect(await first).toEqual({ answer: 'deny', reason: null });
    expect(asked()).toBeUndefined();
  });

  it('withdraws the ask when the hook goes away (its connection closes)', async () => {
    const { deck, worker, permissions, asked } = await dialogDeck();
    const gone = new AbortController();
    const wait = permissions.ask(worker.id, { tool: 'Bash', detail: 'ls', allowAlways: false }, gone.signal);
    expect(asked()).toMatchObject({ tool: 'Bash', detail: 'ls' });
    gone.abort();
    expect(await wait).toBeNull();
    expect(asked()).toBeUndefined();
    expect(await permissions.ask('nobody', { tool: 'Bash', detail: 'ls', allowAlways: false })).toBeNull();
  });
});
