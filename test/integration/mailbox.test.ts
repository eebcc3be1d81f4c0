import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildMail, MAX_MAIL_BYTES, type MailMessage } from '../../src/core/mail.js';
import { loadMailHistory, Mailbox, readOlderMail } from '../../src/mail/mailbox.js';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { processGone } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { ROOT, waitFor } from '../helpers/term.js';

let cleanups: (() => Promise<void> | void)[] = [];
let children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await waitFor(() => children.every((c) => c.pid === undefined || processGone(c.pid)), 'no writer process left', 10_000);
  children = [];
});

interface Box {
  layout: StateLayout;
  messages: MailMessage[];
  bad: { file: string; reason: string }[];
  open: () => Promise<Mailbox>;
}

async function box(): Promise<Box> {
  const state = tempDir('wd-mail-');
  const layout = await prepareStateDir(state.dir);
  let seq = 1;
  const messages: MailMessage[] = [];
  const bad: { file: string; reason: string }[] = [];
  const open: Mailbox[] = [];
  cleanups.push(async () => {
    for (const m of open) await m.close();
    state.cleanup();
  });
  return {
    layout,
    messages,
    bad,
    open: async () => {
      const mailbox = new Mailbox(layout, {
        onMessage: (m) => messages.push(m),
        onBad: (file, reason) => bad.push({ file, reason }),
        nextSeq: () => seq++,
      });
      open.push(mailbox);
      await mailbox.start();
      return mailbox;
    },
  };
}

/** A child process that sends `count` messages through the worker-side writer in dist/. */
function writer(stateDir: string, workerId: string, count: number): Promise<number> {
  const writerUrl = pathToFileURL(path.join(ROOT, 'dist', 'mail', 'writer.js')).href;
  const script = `
    const { sendMail } = await import(${JSON.stringify(writerUrl)});
    const sends = [];
    for (let i = 0; i < ${count}; i++) {
      sends.push(sendMail({ stateDir: ${JSON.stringify(stateDir)}, workerId: ${JSON.stringify(workerId)}, type: 'progress', content: 'note ' + i }));
    }
    await Promise.all(sends);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`writer ${workerId} exited ${code}: ${stderr}`))));
  });
}

function mailFile(workerId: string, content: string, id: string): string {
  return JSON.stringify(buildMail({ id, workerId, type: 'progress', content, now: Date.now() }));
}

describe('the Mailbox on real chokidar', () => {
  // One retry: the restart must fall mid-stream, and on some runs the first watcher handles all 500 first.
  it('handles 500 messages from 10 writers exactly once across a restart', { retry: 1 }, async () => {
    const b = await box();
    let mailbox = await b.open();
    const writers = Array.from({ length: 10 }, (_, i) => writer(b.layout.dir, `w${i}`, 50));
    // Restart the deck's watcher while the writers are busy.
    await waitFor(() => b.messages.length >= 50, 'the first messages', 30_000);
    await mailbox.close();
    const handledByFirst = b.messages.length;
    mailbox = await b.open();
    await Promise.all(writers);
    await waitFor(() => b.messages.length >= 500, 'all 500 messages', 60_000, () => `${b.messages.length} handled`);
    await mailbox.idle();
    expect(handledByFirst).toBeLessThan(500);
    expect(b.messages).toHaveLength(500);
    expect(new Set(b.messages.map((m) => m.id)).size).toBe(500);
    expect(new Set(b.messages.map((m) => m.seq)).size).toBe(500);
    for (let i = 0; i < 10; i++) {
      const contents = b.messages.filter((m) => m.workerId === `w${i}`).map((m) => m.content);
      expect(new Set(contents)).toEqual(new Set(Array.from({ length: 50 }, (_, n) => `note ${n}`)));
    }
    expect(readdirSync(b.layout.mail.cur)).toHaveLength(500);
    expect(readdirSync(b.layout.mail.new)).toEqual([]);
    expect(readdirSync(b.layout.mail.tmp)).toEqual([]);
    expect(readdirSync(b.layout.mail.bad)).toEqual([]);
    expect(b.bad).toEqual([]);
    // cur/ names carry the seq, so the history reads back in order: without a list from state.json, the newest 200.
    const history = await loadMailHistory(b.layout);
    expect(history.map((m) => m.seq)).toEqual([...b.messages.map((m) => m.seq)].sort((x, y) => x - y).slice(-200));
  });

  it('handles files that were already in new/ at start', async () => {
    const b = await box();
    for (let i = 0; i < 3; i++) writeFileSync(path.join(b.layout.mail.new, `early-${i}.json`), mailFile('w1', `early ${i}`, `early-${i}`));
    await b.open();
    await waitFor(() => b.messages.length === 3, 'the early messages');
    expect(b.messages.map((m) => m.id).sort()).toEqual(['early-0', 'early-1', 'early-2']);
    expect(readdirSync(b.layout.mail.new)).toEqual([]);
    expect(readdirSync(b.layout.mail.cur).sort()).toEqual(b.messages.map((m) => `${String(m.seq).padStart(10, '0')}_${m.id}.json`).sort());
  });

  it('moves malformed, oversized and symlinked files to mail/bad with their reason in mail/bad/.reasons', async () => {
    const b = await box();
    await b.open();
    const outside = path.join(b.layout.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'target.json'), mailFile('w1', 'via a link', 'linked'));
    writeFileSync(path.join(b.layout.mail.new, 'broken.json'), '{"id": "x", ');
    writeFileSync(path.join(b.layout.mail.new, 'huge.json'), mailFile('w1', 'x'.repeat(MAX_MAIL_BYTES), 'huge'));
    writeFileSync(path.join(b.layout.mail.new, 'badtype.json'), JSON.stringify({ ...JSON.parse(mailFile('w1', 'x', 'bt')), type: 'gossip' }));
    symlinkSync(path.join(outside, 'target.json'), path.join(b.layout.mail.new, 'link.json'));
    writeFileSync(path.join(b.layout.mail.new, 'good.json'), mailFile('w1', 'fine', 'good'));
    await waitFor(() => b.bad.length === 4 && b.messages.length === 1, 'four bad files and one good one', 15_000, () => JSON.stringify(b.bad));
    const reasons = Object.fromEntries(b.bad.map((x) => [x.file, x.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['badtype.json', 'broken.json', 'huge.json', 'link.json']);
    expect(reasons['broken.json']).toMatch(/^not valid JSON: /);
    expect(reasons['huge.json']).toMatch(new RegExp(`bytes; the limit is ${MAX_MAIL_BYTES} bytes$`));
    expect(reasons['link.json']).toBe('symlinks are refused');
    expect(reasons['badtype.json']).toMatch(/^field "type": /);
    for (const [file, reason] of Object.entries(reasons)) {
      expect(readFileSync(path.join(b.layout.mail.bad, '.reasons', file), 'utf8')).toBe(`${reason}\n`);
    }
    expect(readdirSync(b.layout.mail.bad).sort()).toEqual(['.reasons', 'badtype.json', 'broken.json', 'huge.json', 'link.json']);
    expect(readdirSync(b.layout.mail.new)).toEqual([]);
    expect(b.messages.map((m) => m.id)).toEqual(['good']);
    // The link was moved, not followed: its target is untouched.
    expect(readFileSync(path.join(outside, 'target.json'), 'utf8')).toContain('via a link');
  });
});

describe('mail at scale', () => {
  /** Put `count` handled messages straight into cur/, alternating senders w0 and w1; seq i is named like the Mailbox names it. */
  function handled(layout: StateLayout, count: number): void {
    for (let seq = 1; seq <= count; seq++) {
      const body = JSON.stringify(buildMail({ id: `h${seq}`, workerId: `w${seq % 2}`, type: 'progress', content: `handled ${seq}`, now: 1_000 + seq }));
      writeFileSync(path.join(layout.mail.cur, `${String(seq).padStart(10, '0')}_${seq}.json`), body);
    }
  }

  it('start-up reads the files state.json lists and what came after its save, not all of history', async () => {
    const b = await box();
    handled(b.layout, 5000);
    const loaded = await loadMailHistory(b.layout, { nextSeq: 4998, mailReload: [1, 2, 4000] });
    expect(loaded.map((m) => m.seq)).toEqual([1, 2, 4000, 4998, 4999, 5000]);
    expect(loaded[2]?.content).toBe('handled 4000');
  });

  it('pages one sender back through mail/cur, 50 at a time, to its first message', async () => {
    const b = await box();
    handled(b.layout, 301);
    const pages: number[][] = [];
    let before: number | null = 290;
    while (before !== null) {
      const page: { messages: MailMessage[]; before: number | null } = await readOlderMail(b.layout, 'w1', before, 50, 64);
      pages.push(page.messages.map((m) => m.seq));
      expect(page.messages.every((m) => m.workerId === 'w1')).toBe(true);
      before = page.before;
    }
    const seqs = pages.reverse().flat();
    // Every odd seq below 290 exactly once, oldest first.
    expect(seqs).toEqual(Array.from({ length: 145 }, (_, i) => 2 * i + 1));
  });

  it('close() stops a backlog after the message in hand: the rest stays in new/, nothing is lost or handled twice', async () => {
    const b = await box();
    const total = 5000;
    for (let i = 0; i < total; i++) writeFileSync(path.join(b.layout.mail.new, `${String(i).padStart(5, '0')}.json`), mailFile('w1', `n ${i}`, `b${i}`));
    const mailbox = new Mailbox(b.layout, { onMessage: (m) => b.messages.push(m), onBad: () => undefined, nextSeq: (() => { let n = 1; return () => n++; })() });
    const started = mailbox.start();
    await waitFor(() => b.messages.length > 0, 'the first message handled', 20_000);
    await mailbox.close();
    await started;
    const handledCount = b.messages.length;
    expect(readdirSync(b.layout.mail.cur)).toHaveLength(handledCount);
    expect(readdirSync(b.layout.mail.new)).toHaveLength(total - handledCount);
    expect(handledCount).toBeLessThan(total);
    expect(new Set(b.messages.map((m) => m.id)).size).toBe(handledCount);
  });
});
