// Chaos: a flood of hostile mail (bad JSON, empty, oversized, binary, symlinks,
// FIFOs, directories, escape-laden names and content, unknown workers, forged
// replies) into a deck with one live worker that records every byte typed
// into its PTY. The deck must not crash, must move every bad file to mail/bad
// with its reason, must type nothing, and must write no raw escape from the
// mail to the terminal.
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deckFixture } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';
import { FULL, listProcesses, ownProcesses, recordFigures, sized, spawnShellWorker } from './chaos.js';
import { BIDI, HOSTILE_SEQUENCES, makeHostileMail, type HostileFile } from './hostile.js';

const COUNT = sized(96, 1000);

/**
 * Escape sequences in what the deck wrote to the terminal that can only have
 * come from mail: each hostile sequence followed by its `HX` marker, any OSC
 * but the deck's own title, DCS/APC/PM/SOS strings, RIS, terminal queries, C1
 * controls and bidi controls.
 * @returns one entry per occurrence, e.g. `OSC "\u001b]52;c;..."`
 */
export function escapeLeaks(raw: string): string[] {
  const leaks: string[] = [];
  const show = (s: string) => JSON.stringify(s.slice(0, 24));
  for (const seq of HOSTILE_SEQUENCES) {
    let at = raw.indexOf(`${seq}HX`);
    while (at !== -1) {
      leaks.push(`mail sequence ${show(seq)}`);
      at = raw.indexOf(`${seq}HX`, at + 1);
    }
  }
  // The deck's only OSC is its window title: "workerdeck…" or empty.
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b\](?!0;(?:workerdeck[^\u0007\u001b]*)?\u0007)/g)) leaks.push(`OSC ${show(raw.slice(m.index, m.index + 24))}`);
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b[P_^X]|\u001bc|\u001b\[[>=]?c|\u001b\[6n/g)) leaks.push(`escape ${show(raw.slice(m.index, m.index + 12))}`);
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/[\u0080-\u009f]/g)) leaks.push(`C1 control U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const ch of BIDI) for (let at = raw.indexOf(ch); at !== -1; at = raw.indexOf(ch, at + 1)) leaks.push(`bidi U+${ch.charCodeAt(0).toString(16)}`);
  return leaks;
}

/** Wait for a condition without failing: true when it held before the deadline. */
const settles = (check: () => boolean, what: string, ms: number) => waitFor(check, what, ms, undefined, 50).then(() => true, () => false);

describe('chaos: hostile mail (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it(
    `${COUNT} hostile files: no crash, every bad file in bad/ with its reason, nothing typed, no raw escape`,
    async () => {
      const mail = path.join(f.stateDir, 'mail');
      const names = (dir: string) => readdirSync(path.join(mail, dir));
      const d = owned.deck(f.open());
      await d.waitForText('q quit');
      // A live worker whose PTY records every byte typed into it.
      const typedLog = path.join(f.home.dir, 'typed.log');
      const recorder = await spawnShellWorker(d, f.list, `stty raw -echo; exec cat > '${typedLog}'`, 'recorder');
      owned.sessions.push(recorder.pid);
      await waitFor(() => listProcesses().find((p) => p.pid === recorder.pid)?.cmdline.startsWith('cat'), 'the recorder to run cat', 15_000);
      const typed = () => readFileSync(typedLog, 'utf8');

      const outside = path.join(f.home.dir, 'outside');
      mkdirSync(outside);
      const staging = path.join(mail, 'tmp', 'chaos-staging');
      const files = makeHostileMail(staging, COUNT, recorder.id, outside);
      const bad = files.filter((h) => h.outcome === 'bad');
      const good = files.filter((h) => h.outcome === 'cur');
      const rawFrom = d.raw.length;
      const started = Date.now();
      for (const h of files) renameSync(path.join(staging, h.name), path.join(mail, 'new', h.name));

      const handled = await settles(
        () => d.exit === null && names('new').length === 0 && names('cur').length >= good.length,
        'every hostile file handled',
        sized(60_000, 300_000),
      );
      const handledMs = Date.now() - started;
      // The reason is written just after the move: give the last ones a moment.
      await settles(() => bad.every((h) => exists(path.join(mail, 'bad', `${h.name}.reason`))), 'every reason written', 5000);
      // Hostile content is on screen (so the escape check below looks at rendered mail), and the deck still answers keys.
      const rendered = await settles(() => /HX\d+/.test(d.screen()), 'hostile mail on screen', 10_000);
      d.type('w');
      const answers = await settles(() => d.screen().includes('Warnings ('), 'the warnings overlay', 10_000);
      d.type('w');
      await d.waitForText('q quit');

      const crashes = d.exit === null ? 0 : 1;
      const leaks = escapeLeaks(d.raw.slice(rawFrom));
      const typedDuringFlood = crashes ? '' : typed();
      const problems = checkOutcomes(files, mail);

      // The recorder really records: a key typed while attached lands in its log.
      let recorderWorks = false;
      if (!crashes) {
        d.type('\r');
        await waitFor(() => !d.screen().includes('q quit'), 'attached to the recorder', 10_000, () => d.screen());
        d.type('PROBE');
        recorderWorks = await settles(() => typed().endsWith('PROBE'), 'the probe in the recorder log', 10_000);
        d.type('\u001d');
        await d.waitForText('q quit');
        d.type('q');
        await d.waitForText('(y/n)');
        d.type('y');
      }
      const exit = await d.waitForExit();

      recordFigures('hostile-mail', {
        files: files.length,
        bad_files: bad.length,
        valid_hostile_messages: good.length,
        kinds: new Set(files.map((h) => h.kind)).size,
        handled_s: handled ? Math.round(handledMs / 100) / 10 : null,
        crashes,
        not_in_bad: problems.notInBad.length,
        without_reason: problems.withoutReason.length,
        valid_not_in_cur_once: problems.notInCurOnce.length,
        left_in_new: names('new').length,
        typed_bytes: Buffer.byteLength(typedDuringFlood),
        raw_escape_leaks: leaks.length,
        deck_exit_code: exit.exitCode,
      });

      expect(crashes, 'the deck crashed').toBe(0);
      expect.soft(handled, `every file handled within the deadline (new/ holds ${names('new').length})`).toBe(true);
      expect.soft(answers, 'the deck answers keys after the flood').toBe(true);
      expect.soft(rendered, 'hostile mail was rendered').toBe(true);
      expect.soft(problems.notInBad.slice(0, 8), `${problems.notInBad.length} bad files not in mail/bad as they were`).toEqual([]);
      expect.soft(problems.withoutReason.slice(0, 8), `${problems.withoutReason.length} bad files without their reason`).toEqual([]);
      expect.soft(problems.notInCurOnce.slice(0, 8), `${problems.notInCurOnce.length} valid messages not in mail/cur exactly once`).toEqual([]);
      expect.soft(names('new'), 'files left in mail/new').toEqual([]);
      expect.soft(JSON.stringify(typedDuringFlood), 'bytes typed into the worker by mail').toBe('""');
      expect.soft(recorderWorks, 'the recorder worker records typed keys (so the check above can fail)').toBe(true);
      expect.soft([...new Set(leaks)], `${leaks.length} escapes from mail reached the terminal`).toEqual([]);
      expect.soft(exit.exitCode, 'the deck quit cleanly').toBe(0);
    },
    FULL ? 600_000 : 120_000,
  );
});

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Where each hostile file ended up, against where it must be. */
function checkOutcomes(files: HostileFile[], mail: string) {
  const notInBad: string[] = [];
  const withoutReason: string[] = [];
  const notInCurOnce: string[] = [];
  const cur = readdirSync(path.join(mail, 'cur'));
  const show = (h: HostileFile) => `${h.kind} ${JSON.stringify(h.name).slice(0, 60)}`;
  for (const h of files) {
    if (h.outcome === 'cur') {
      if (cur.filter((n) => n.slice(n.indexOf('_') + 1) === h.name).length !== 1) notInCurOnce.push(show(h));
      continue;
    }
    const moved = path.join(mail, 'bad', h.name);
    let same = false;
    try {
      const info = lstatSync(moved);
      if (h.type === 'symlink') same = info.isSymbolicLink();
      else if (h.type === 'fifo') same = info.isFIFO();
      else if (h.type === 'dir') same = info.isDirectory();
      else same = info.isFile() && h.bytes !== undefined && readFileSync(moved).equals(h.bytes);
    } catch {
      same = false;
    }
    if (!same) notInBad.push(show(h));
    let reason = '';
    try {
      if (statSync(`${moved}.reason`).isFile()) reason = readFileSync(`${moved}.reason`, 'utf8');
    } catch {
      reason = '';
    }
    // A reason is one line of text that says why, not the bytes of some other file.
    const isReason = /^[^\n]+\n$/.test(reason) && (h.reason?.test(reason) ?? true) && !files.some((o) => o.bytes?.toString('utf8') === reason);
    if (!isReason) withoutReason.push(`${show(h)}: ${JSON.stringify(reason.slice(0, 60))}`);
  }
  return { notInBad, withoutReason, notInCurOnce };
}
