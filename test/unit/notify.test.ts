import { afterEach, describe, expect, it } from 'vitest';
import { emptyDeckState, reduce, type DeckEvent, type DeckState } from '../../src/core/deck-state.js';
import type { MailMessage } from '../../src/core/mail.js';
import type { Validation } from '../../src/core/review.js';
import { newWorkerRecord } from '../../src/core/worker.js';
import { notifyEvents } from '../../src/core/notify.js';
import { shellNotifyRunner } from '../../src/server/notify.js';
import { desktopNotification, DesktopNotifier } from '../../src/client/desktop-notify.js';
import { decodeKeys } from '../../src/ui/keys.js';
import { tempDir } from '../helpers/git-repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const at = 5000;
function deck(): DeckState {
  let s = emptyDeckState();
  s = reduce(s, { type: 'worker-added', worker: newWorkerRecord({ id: 'a1', name: 'api', agent: 'claude', cwd: '/', createdAt: 1, status: 'running', branch: 'worker/api-a1' }) });
  return s;
}
const mail = (type: MailMessage['type'], content: string, seq: number): MailMessage => ({ id: `m${seq}`, workerId: 'a1', workerName: 'api', type, content, timestamp: at, inReplyTo: null, seq });
const step = (s: DeckState, e: DeckEvent) => notifyEvents(s, reduce(s, e), e, at);

describe('notifyEvents', () => {
  it('names the worker and the text of a question, a completion, a needs-input, a failure and a validation result', () => {
    const s = deck();
    const worker = { id: 'a1', name: 'api', agent: 'claude', branch: 'worker/api-a1' };
    expect(step(s, { type: 'mail-received', message: mail('question', 'which port?', 1) })).toEqual([
      { event: 'question', worker: { ...worker, status: 'asking' }, text: 'which port?', at },
    ]);
    expect(step(s, { type: 'mail-received', message: mail('completion', 'done', 1) })[0]).toMatchObject({ event: 'completion', text: 'done' });
    expect(step(s, { type: 'mail-received', message: mail('progress', 'half', 1) })).toEqual([]);
    const asks: DeckEvent = { type: 'needs-input', id: 'a1', needsInput: { reason: 'Allow Bash(rm -rf build)?', source: 'hook', since: at }, source: 'hook' };
    expect(step(s, asks)[0]).toMatchObject({ event: 'needs-input', text: 'Allow Bash(rm -rf build)?' });
    // The same prompt seen again is not a new notification.
    expect(step(reduce(s, asks), asks)).toEqual([]);
    const failed: DeckEvent = { type: 'worker-exited', id: 'a1', exitCode: null, signal: 15, stopRequested: true, reason: 'idle: no output', at, failed: true };
    expect(step(s, failed)[0]).toMatchObject({ event: 'failure', text: 'idle: no output' });
    expect(step(s, { ...failed, failed: false })).toEqual([]);
    const validation: Validation = { status: 'failed', command: 'npm test', startedAt: 1, finishedAt: 2, exitCode: 1, log: '/x', tail: '', nudges: 0 };
    expect(step(s, { type: 'worker-validation', id: 'a1', validation })[0]).toMatchObject({ event: 'validation', text: 'failed: npm test' });
    expect(step(s, { type: 'worker-validation', id: 'a1', validation: { ...validation, status: 'running' } })).toEqual([]);
    expect(step(s, { type: 'mail-batch', messages: [mail('question', 'one', 1), mail('question', 'two', 2)] }).map((n) => n.text)).toEqual(['one', 'two']);
  });
});

describe('shellNotifyRunner', () => {
  it('gives the command the line on stdin, and says how it failed or that it timed out', async () => {
    const dir = tempDir('wd-notify-');
    cleanups.push(() => dir.cleanup());
    const out = path.join(dir.dir, 'out');
    await expect(shellNotifyRunner(`cat > '${out}'`, 5000, process.env)('{"event":"question"}')).resolves.toBeNull();
    expect(readFileSync(out, 'utf8')).toBe('{"event":"question"}\n');
    await expect(shellNotifyRunner('exit 3', 5000, process.env)('{}')).resolves.toBe('exit code 3');
    await expect(shellNotifyRunner('sleep 30', 200, process.env)('{}')).resolves.toBe('killed after 0.2 s');
  });
});

describe('desktop notifications', () => {
  const n = { event: 'question' as const, worker: { id: 'a1', name: 'api', agent: 'claude', branch: null, status: 'asking' }, text: 'port; 80\u001b[31m or\u0007 443?', at };
  it('writes OSC 9 and OSC 777 with no control character or field separator from the text', () => {
    expect(desktopNotification('osc9', n)).toBe('\u001b]9;workerdeck: api asks: port; 80 [31m or  443?\u0007');
    expect(desktopNotification('osc777', n)).toBe('\u001b]777;notify;workerdeck: api asks;port, 80 [31m or  443?\u0007');
    expect(desktopNotification('off', n)).toBe('');
  });

  it('follows focus reports, which the key decoder names and the notifier consumes', () => {
    expect(decodeKeys('\u001b[I\u001b[O').map((k) => k.name)).toEqual(['focus-in', 'focus-out']);
    const desktop = new DesktopNotifier({ desktop: 'osc9', desktopWhen: 'unfocused' });
    const s = deck();
    const e: DeckEvent = { type: 'mail-received', message: mail('question', 'which port?', 1) };
    expect(desktop.modes()).toBe('\u001b[?1004h');
    expect(desktop.onEvent(s, reduce(s, e), e)).toBe('');
    expect(desktop.onKey('focus-out')).toBe(true);
    expect(desktop.onEvent(s, reduce(s, e), e)).toContain('\u001b]9;workerdeck: api asks: which port?');
    expect(desktop.filterInput('a\u001b[Ib')).toBe('ab');
    const always = new DesktopNotifier({ desktop: 'osc777', desktopWhen: 'always' });
    expect(always.modes()).toBe('');
    expect(always.onEvent(s, reduce(s, e), e)).toContain('\u001b]777;notify;');
  });
});
