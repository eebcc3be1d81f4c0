import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_STOP_BLOCKS, readTurn, replyAsToolResult, reportedSince, runHook, STOP_REASON } from '../../src/agents/hook.js';
import { sendMail } from '../../src/mail/writer.js';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { tempDir } from '../helpers/git-repo.js';

let layout: StateLayout;
let cleanup: () => void;

beforeEach(async () => {
  const t = tempDir('wd-hook-');
  cleanup = t.cleanup;
  layout = await prepareStateDir(path.join(t.dir, 'state'));
});
afterEach(() => cleanup());

const hook = (event: string, now: number, input: Record<string, unknown> = {}) => runHook({ event, input, workerId: 'w1', stateDir: layout.dir, now });

const BLOCK = `${JSON.stringify({ decision: 'block', reason: STOP_REASON })}\n`;

function mailIn(dir: string): Record<string, unknown>[] {
  return readdirSync(dir).map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as Record<string, unknown>);
}

describe('workerdeck hook stop', () => {
  it('blocks twice per turn without a report, then lets the agent stop', async () => {
    await hook('prompt', 1000);
    expect((await hook('stop', 2000, { stop_hook_active: false })).stdout).toBe(BLOCK);
    expect((await hook('stop', 3000, { stop_hook_active: true })).stdout).toBe(BLOCK);
    expect(MAX_STOP_BLOCKS).toBe(2);
    expect((await hook('stop', 4000, { stop_hook_active: true })).stdout).toBe('');
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 1000, blocks: 2, stopped: true });
    // The operator writes again: a new turn, blocked again.
    await hook('prompt', 5000);
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 5000, blocks: 0, stopped: false });
    expect((await hook('stop', 6000)).stdout).toBe(BLOCK);
  });

  it('allows the stop when the worker asked or completed since the turn started', async () => {
    await hook('prompt', 1000);
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'question', content: 'Which DB?', now: 1500 });
    expect((await hook('stop', 2000)).stdout).toBe('');
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 1000, blocks: 0, stopped: true });
  });

  it('a reply returned as the result of a waited ask starts what the agent must report on; the turn goes on', async () => {
    await hook('prompt', 1000);
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'question', content: 'Which DB?', now: 1500 });
    // The answer came back as the tool result at 2000; no prompt hook runs for it.
    await replyAsToolResult(layout.dir, 'w1', 2000);
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 2000, blocks: 0, stopped: false });
    // The question before the answer does not count: the agent must report on the answer.
    expect((await hook('stop', 3000)).stdout).toBe(BLOCK);
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'completion', content: 'Used SQLite.', now: 3500 });
    expect((await hook('stop', 4000)).stdout).toBe('');
  });

  it("judges a Stop that comes after the operator's next prompt by its own turn (a reply typed right after a question)", async () => {
    await hook('start', 500, { source: 'startup' });
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'question', content: 'Which DB?', now: 1500 });
    // The reply is typed, and its prompt hook runs, before the asking turn's Stop.
    await hook('prompt', 2000);
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 2000, blocks: 0, stopped: false, pendingStart: 0 });
    expect((await hook('stop', 2100)).stdout).toBe('');
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 2000, blocks: 0, stopped: false });
    // The reply's own turn is judged from its own start: no report since 2000 yet.
    expect((await hook('stop', 3000)).stdout).toBe(BLOCK);
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'completion', content: 'Used Postgres.', now: 3500 });
    expect((await hook('stop', 4000)).stdout).toBe('');
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 2000, blocks: 1, stopped: true });
  });

  it('finds the report after the deck moved it to mail/cur', async () => {
    await hook('prompt', 1000);
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'completion', content: 'Done.', now: 1500 });
    for (const name of readdirSync(layout.mail.new)) {
      renameSync(path.join(layout.mail.new, name), path.join(layout.mail.cur, `000000000007_${name}`));
    }
    expect(await reportedSince(layout.dir, 'w1', 1000)).toBe(true);
    expect((await hook('stop', 2000)).stdout).toBe('');
  });

  it('ignores reports from before the turn, from other workers, and progress notes', async () => {
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'completion', content: 'old', now: 500 });
    await hook('prompt', 1000);
    await sendMail({ stateDir: layout.dir, workerId: 'w2', type: 'completion', content: 'not mine', now: 1500 });
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'progress', content: 'half way', now: 1600 });
    // A file whose name claims a new timestamp but whose content is old does not count either.
    writeFileSync(
      path.join(layout.mail.new, `1700-00000000-0000-4000-8000-000000000000.json`),
      JSON.stringify({ id: 'x', workerId: 'w1', type: 'question', content: 'q', timestamp: 900 }),
    );
    expect((await hook('stop', 2000)).stdout).toBe(BLOCK);
  });

  it('never blocks without a worker identity', async () => {
    expect((await runHook({ event: 'stop', input: {}, workerId: undefined, stateDir: layout.dir, now: 1 })).stdout).toBe('');
    expect((await runHook({ event: 'stop', input: {}, workerId: 'w1', stateDir: undefined, now: 1 })).stdout).toBe('');
  });

  const CLAUDE_ID = '0b5c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f';
  const sessionJson = () => JSON.parse(readFileSync(path.join(layout.workerFiles, 'w1', 'session.json'), 'utf8')) as unknown;

  it('a session start begins a turn and records the session id, a compaction does not', async () => {
    // A new session's first turn holds all its mail: SessionStart may come after the first prompt asked.
    await hook('start', 1000, { session_id: CLAUDE_ID, source: 'startup' });
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 0, blocks: 0, stopped: false });
    expect(sessionJson()).toEqual({ sessionId: CLAUDE_ID, source: 'startup', at: 1000 });
    await hook('start', 1500, { session_id: CLAUDE_ID, source: 'resume' });
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 1500, blocks: 0, stopped: false });
    await hook('start', 2000, { session_id: CLAUDE_ID, source: 'compact' });
    expect((await readTurn(layout.dir, 'w1')).turnStart).toBe(1500);
  });

  it("Codex's session hook records the session id and starts no turn", async () => {
    // Codex's SessionStart stdin (0.169.0), trimmed.
    const codex = { session_id: '01a22d84-4433-79d0-b971-e5f1f75b704c', cwd: '/repo/.worktrees/a-1111', hook_event_name: 'SessionStart', source: 'startup' };
    expect((await hook('session', 1000, codex)).stdout).toBe('');
    expect(sessionJson()).toEqual({ sessionId: codex.session_id, source: 'startup', at: 1000 });
    expect(await readTurn(layout.dir, 'w1')).toEqual({ turnStart: 0, blocks: 0 });
    await hook('session', 2000, { ...codex, source: 'resume' });
    expect(sessionJson()).toEqual({ sessionId: codex.session_id, source: 'resume', at: 2000 });
  });

  it('records no id that a shell or a flag parser could misread', async () => {
    await hook('session', 1000, { session_id: '--last-of-them', source: 'startup' });
    await hook('session', 1000, { session_id: 'x; rm -rf /', source: 'startup' });
    expect(() => sessionJson()).toThrow(/ENOENT/);
  });
});

describe('workerdeck hook notify and prompt', () => {
  it('notify writes a needs-input mail with the notification text', async () => {
    await hook('notify', 1000, { message: 'Claude needs your permission to use Bash', notification_type: 'permission_prompt' });
    const mails = mailIn(layout.mail.new);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ workerId: 'w1', type: 'needs-input', content: 'Claude needs your permission to use Bash' });
  });

  it('notify skips auth notices, and idle notices after a report', async () => {
    await hook('prompt', 1000);
    const before = readdirSync(layout.mail.new).length;
    await hook('notify', 1100, { message: 'Logged in', notification_type: 'auth_success' });
    await sendMail({ stateDir: layout.dir, workerId: 'w1', type: 'completion', content: 'Done.', now: 1200 });
    await hook('notify', 1300, { message: 'Claude is waiting for your input', notification_type: 'idle_prompt' });
    const needs = mailIn(layout.mail.new).filter((m) => m.type === 'needs-input' && m.content !== '');
    expect(needs).toEqual([]);
    expect(readdirSync(layout.mail.new).length).toBe(before + 1);
  });

  it('prompt clears needs-input with an empty needs-input mail', async () => {
    await hook('prompt', 1000);
    const mails = mailIn(layout.mail.new);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ workerId: 'w1', type: 'needs-input', content: '' });
  });

  it('an unknown event does nothing', async () => {
    expect((await hook('bogus', 1000)).stdout).toBe('');
    expect(readdirSync(layout.mail.new)).toEqual([]);
  });
});
