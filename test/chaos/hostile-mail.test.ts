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
import { BIDI, escapeLeaks, HOSTILE_SEQUENCES, makeHostileMail, type HostileFile } from './hostile.js';

const COUNT = sized(72, 1000);

/** Wait for a condition without failing: true when it held before the deadline. */
const settles = (check: () => boolean, what: string, ms: number) => waitFor(check, what, ms, undefined, 50).then(() => true, () => false);

describe('chaos: hostile mail (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it(
    `${COUNT} hostile files: no crash, every bad file in bad/ with its reason, nothing typed, no raw escape`,
    async () => {
      // The leak detector finds every hostile sequence and passes the deck's own title and colours.
      expect(escapeLeaks(HOSTILE_SEQUENCES.map((s) => `${s}HX`).join('')).length).toBeGreaterThanOrEqual(HOSTILE_SEQUENCES.length);
      expect(escapeLeaks(`x${BIDI.join('')}y`)).toHaveLength(BIDI.length);
      expect(escapeLeaks('\u001b]0;workerdeck: 1 question\u0007\u001b]0;\u0007\u001b[31mred\u001b[0m\u001b[?1049h')).toEqual([]);
      const mail = path.join(f.stateDir, 'mail');
      const names = (dir: string) => readdirSync(path.join(mail, dir));
      const d = owned.deck(f.open());
      await d.waitForText('q quit');
      // A live worker whose PTY records every byte typed into it.
      const typedLog = path.join(f.home.dir, 'typed.log');
      const recorder = await spawnShellWorker(d, f.list, `stty raw -echo; exec cat > '${typedLog}'`, 'recorder');
      owned.sessions.push({ sid: recorder.pid, stateDir: f.stateDir });
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
      await settles(() => bad.every((h) => exists(path.join(mail, 'bad', '.reasons', h.name))), 'every reason written', 5000);
      // Hostile content is on screen (so the escape check below looks at rendered mail), and the deck still answers keys.
      const rendered = await settles(() => /HX\d+/.test(d.screen()), 'hostile mail on screen', 10_000);
      d.type('w');
      const answers = await settles(() => d.screen().includes('Warnings ('), 'the warnings overlay', 10_000);
      d.type('w');
      // A screen wrecked by escapes from mail may never show the hints again: the figures below still count.
      const back = await settles(() => d.screen().includes('q quit'), 'the deck back from the overlay', 10_000);

      const crashes = d.exit === null ? 0 : 1;
      const leaks = escapeLeaks(d.raw.slice(rawFrom));
      const typedDuringFlood = crashes ? '' : typed();
      const problems = checkOutcomes(files, mail);

      // The recorder really records: a key typed while attached lands in its log.
      let recorderWorks = false;
      if (!crashes && back) {
        d.type('\r');
        await waitFor(() => !d.screen().includes('q quit'), 'attached to the recorder', 10_000, () => d.screen());
        d.type('PROBE');
        recorderWorks = await settles(() => typed().endsWith('PROBE'), 'the probe in the recorder log', 10_000);
        d.type('\u001d');
        await d.waitForText('q quit');
        d.type('q');
      } else if (!crashes) {
        d.kill();
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
      expect.soft(answers && back, 'the deck answers keys after the flood').toBe(true);
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
      const why = path.join(mail, 'bad', '.reasons', h.name);
      if (statSync(why).isFile()) reason = readFileSync(why, 'utf8');
    } catch {
      reason = '';
    }
    // A reason is text that says why, not the bytes of some other file (a bad file named like this one's reason file).
    const isReason = reason.trim() !== '' && (h.reason?.test(reason) ?? true) && !files.some((o) => o.bytes?.toString('utf8') === reason);
    if (!isReason) withoutReason.push(`${show(h)}: ${JSON.stringify(reason.slice(0, 60))}`);
  }
  return { notInBad, withoutReason, notInCurOnce };
}
