// Chaos: write errors while the deck saves state.json, appends to
// events.jsonl and moves mail into mail/cur. The deck must warn, keep running,
// lose nothing, and retry the write once the fault is gone, without waiting
// for some later change.
//
// The faults are real ones that work as root too (CI runs as root, where
// chmod stops nothing): the target path is replaced by a directory
// (EISDIR) or its parent by a file (ENOTDIR). ENOSPC and EACCES themselves
// need the injected file-system seam of Registry and Mailbox and are covered
// by the integration tests that use it.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deckFixture } from '../helpers/e2e.js';
import { waitFor, type DeckTerminal } from '../helpers/term.js';
import { ownProcesses, recordFigures } from './chaos.js';

interface Fault {
  name: string;
  /** The errno the deck's write meets. */
  errno: string;
  inject(stateDir: string): void;
  clear(stateDir: string): void;
  /** The warning must say this. */
  warning: RegExp;
}

const FAULTS: Fault[] = [
  {
    name: 'append to events.jsonl',
    errno: 'EISDIR',
    inject: (s) => {
      renameSync(path.join(s, 'events.jsonl'), path.join(s, 'events.jsonl.aside'));
      mkdirSync(path.join(s, 'events.jsonl'));
    },
    // Only the directory goes: the deck's retry writes a fresh events.jsonl beside the aside copy, and the check reads both.
    clear: (s) => rmdirSync(path.join(s, 'events.jsonl')),
    warning: /events\.jsonl/,
  },
  {
    name: 'save state.json',
    errno: 'EISDIR',
    inject: (s) => {
      renameSync(path.join(s, 'state.json'), path.join(s, 'state.json.aside'));
      mkdirSync(path.join(s, 'state.json'));
    },
    clear: (s) => rmdirSync(path.join(s, 'state.json')),
    warning: /state\.json/,
  },
  {
    name: 'move mail to cur/',
    errno: 'ENOTDIR',
    inject: (s) => {
      renameSync(path.join(s, 'mail', 'cur'), path.join(s, 'mail', 'cur.aside'));
      writeFileSync(path.join(s, 'mail', 'cur'), 'not a directory\n');
    },
    clear: (s) => {
      unlinkSync(path.join(s, 'mail', 'cur'));
      renameSync(path.join(s, 'mail', 'cur.aside'), path.join(s, 'mail', 'cur'));
    },
    warning: /mail/i,
  },
];

/** Warnings one fault may raise: the failure, and perhaps a note that the write went through again. */
const MAX_WARNINGS = 3;

/** The warning count in the header (`⚠ N (w)`), 0 when there is none. */
function warningCount(d: DeckTerminal): number {
  return Number(/⚠ (\d+) \(w\)/.exec(d.screen())?.[1] ?? 0);
}

/** Every line of events.jsonl, including those in the aside copy a fault left. */
function eventLines(stateDir: string): { type: string; message?: { content?: string } }[] {
  const lines: { type: string; message?: { content?: string } }[] = [];
  for (const name of ['events.jsonl.aside', 'events.jsonl']) {
    const file = path.join(stateDir, name);
    if (!existsSync(file) || !statSync(file).isFile()) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      try {
        if (line) lines.push(JSON.parse(line));
      } catch {
        lines.push({ type: '(not JSON)' });
      }
    }
  }
  return lines;
}

/** Deliver a progress message the way a worker does: tmp/, then a rename into new/. */
function sendMail(stateDir: string, name: string, id: string, content: string): void {
  const tmp = path.join(stateDir, 'mail', 'tmp', name);
  writeFileSync(tmp, JSON.stringify({ id, workerId: 'chaos', type: 'progress', content, timestamp: Date.now() }));
  renameSync(tmp, path.join(stateDir, 'mail', 'new', name));
}

/**
 * Wait until `dir` has not changed (its mtime: files created, renamed or
 * removed in it, as a failing atomic write does) for `quietMs`, at most `maxMs`.
 */
async function quiet(dir: string, quietMs: number, maxMs: number): Promise<void> {
  let last = statSync(dir).mtimeMs;
  let since = Date.now();
  await settles(
    () => {
      const now = statSync(dir).mtimeMs;
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    `${dir} to be quiet`,
    maxMs,
  );
}

const settles = (check: () => boolean, what: string, ms: number) => waitFor(check, what, ms, undefined, 50).then(() => true, () => false);

describe('chaos: write faults (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it('warns, keeps running, loses nothing and retries each failed write: events.jsonl, state.json, mail/cur', async () => {
    const d = owned.deck(f.open());
    await d.waitForText('q quit');
    // A first message, so that state.json and events.jsonl exist before their faults.
    sendMail(f.stateDir, 'warm-up.json', 'warm-up', 'warm up');
    await waitFor(() => eventLines(f.stateDir).some((e) => e.message?.content === 'warm up') && existsSync(path.join(f.stateDir, 'state.json')), 'the first message audited', 15_000);
    const rows: {
      fault: string;
      errno: string;
      warned: boolean;
      warnings: number;
      kept_running: boolean;
      message_in_cur: number;
      audit_lines: number;
      state_saved_after: boolean;
      retried_without_new_change: boolean;
    }[] = [];
    const failures: string[] = [];

    for (const [n, fault] of FAULTS.entries()) {
      const content = `fault ${n}: ${fault.name}`;
      const warningsBefore = warningCount(d);
      fault.inject(f.stateDir);
      // A message makes the deck do all three writes: move it, append its line, save the next sequence number.
      const name = `${Date.now()}-fault-${n}.json`;
      sendMail(f.stateDir, name, `fault-${n}`, content);
      const warned = await settles(() => warningCount(d) > warningsBefore, `a warning for ${fault.name}`, 10_000);
      // The warnings overlay lists every warning (the footer shows only the newest, which may be an
      // earlier fault's late "works again").
      d.type('w');
      await d.waitForText('Warnings (');
      const message = d.screen();
      d.type('w');
      await waitFor(() => !d.screen().includes('Warnings ('), 'the warnings overlay to close', 5000, () => d.screen());
      // Let the deck's own follow-up writes (the save that the warning itself triggers) meet the fault too,
      // so that whatever lands after the fault is cleared is a retry and not a write that was already under way.
      await quiet(f.stateDir, 1000, 5000);
      const running = d.exit === null;
      const warnings = warningCount(d) - warningsBefore;
      fault.clear(f.stateDir);

      const inCur = () => readdirSync(path.join(f.stateDir, 'mail', 'cur')).filter((c) => c.endsWith(`_${name}`));
      const audited = () => eventLines(f.stateDir).filter((e) => e.type === 'mail-received' && e.message?.content === content).length;
      const savedSeq = () => {
        try {
          return (JSON.parse(readFileSync(path.join(f.stateDir, 'state.json'), 'utf8')) as { nextSeq: number }).nextSeq;
        } catch {
          return 0;
        }
      };
      const seqOf = () => Number(inCur()[0]?.split('_')[0] ?? Infinity);
      // Nothing else happens in the deck now: whatever lands from here on is the retry.
      const retried = await settles(
        () => inCur().length === 1 && audited() === 1 && savedSeq() > seqOf() && readdirSync(path.join(f.stateDir, 'mail', 'new')).length === 0,
        `the write to ${fault.name} retried`,
        15_000,
      );
      const row = {
        fault: fault.name,
        errno: fault.errno,
        warned,
        warnings,
        kept_running: running && d.exit === null,
        message_in_cur: inCur().length,
        audit_lines: audited(),
        state_saved_after: savedSeq() > seqOf(),
        retried_without_new_change: retried,
      };
      rows.push(row);
      if (!warned) failures.push(`${fault.name}: no warning`);
      else if (!fault.warning.test(message)) failures.push(`${fault.name}: the warning does not name ${fault.warning}: ${message.trim()}`);
      // One failure is one warning, not one per retry: a warning must not set off another failing save, and so on.
      if (warnings > MAX_WARNINGS) failures.push(`${fault.name}: ${warnings} warnings for one fault`);
      if (!row.kept_running) failures.push(`${fault.name}: the deck stopped`);
      if (!retried) failures.push(`${fault.name}: not retried (in cur ${row.message_in_cur}, audit lines ${row.audit_lines}, state saved after ${row.state_saved_after})`);
      if (d.exit !== null) break;
    }
    if (d.exit === null) {
      // Still answering keys after all three.
      d.type('w');
      await d.waitForText('Warnings (');
      d.type('w');
      await d.waitForText('q quit');
      d.type('q');
      await d.waitForExit();
    }
    recordFigures(
      'faults',
      {
        faults: rows.length,
        warned: rows.filter((r) => r.warned).length,
        most_warnings_for_one_fault: Math.max(0, ...rows.map((r) => r.warnings)),
        kept_running: rows.filter((r) => r.kept_running).length,
        retried: rows.filter((r) => r.retried_without_new_change).length,
        lost: rows.filter((r) => r.message_in_cur !== 1 || r.audit_lines !== 1 || !r.state_saved_after).length,
      },
      rows,
    );
    expect(failures).toEqual([]);
  }, 120_000);
});
