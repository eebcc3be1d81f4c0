// Chaos: attached to a worker that enters and leaves the alternate screen,
// turns on the kitty keyboard, mouse tracking, focus events and bracketed
// paste, then exits while attached. The real terminal must stay in the deck's
// alternate screen throughout, and every mode the worker turned on must be off
// once the deck is back.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deckFixture } from '../helpers/e2e.js';
import { waitFor } from '../helpers/term.js';
import { ownProcesses, recordFigures, spawnShellWorker } from './chaos.js';

/** The worker: each step waits for a line from the operator, so the test decides when it happens. */
const WORKER_SCRIPT = `#!/bin/sh
printf 'STEP-0 ready\\n'
read a
printf '\\033[?1049h\\033[H\\033[2JSTEP-1 worker alt screen\\n'
read b
printf '\\033[>1u\\033[?1000h\\033[?1002h\\033[?1006h\\033[?1004h\\033[?2004h\\033[?1hSTEP-2 modes on\\n'
read c
printf '\\033[?1049lSTEP-3 worker left its alt screen\\n'
read d
exit 3
`;

describe('chaos: attach (built binary)', () => {
  const f = deckFixture();
  const owned = ownProcesses();

  it('keeps the real terminal in the deck\'s alternate screen while an attached worker switches screens and modes, and resets it all on detach', async () => {
    const script = path.join(f.home.dir, 'modes.sh');
    writeFileSync(script, WORKER_SCRIPT, { mode: 0o755 });
    const d = owned.deck(f.open());
    // Every switch of the real terminal's active buffer, as the terminal saw it.
    const switches: string[] = [];
    d.term.buffer.onBufferChange((b) => switches.push(b.type));
    await d.waitForText('q quit');
    expect(d.term.buffer.active.type, 'the deck draws in the alternate screen').toBe('alternate');
    const worker = await spawnShellWorker(d, f.list, `exec sh '${script}'`, 'modes');
    owned.sessions.push({ sid: worker.pid, stateDir: f.stateDir });
    await d.waitForText('STEP-0 ready');
    const modesBefore = { ...d.term.modes };
    const kittyBefore = kittyFlagsOn(d.raw);

    const outside: string[] = [];
    const check = (step: string) => {
      if (d.term.buffer.active.type !== 'alternate') outside.push(step);
    };
    const attachedFrom = d.raw.length;
    d.type('\r');
    await waitFor(() => !d.screen().includes('q quit'), 'attached', 10_000, () => d.screen());
    check('attached');
    d.type('\r');
    await d.waitForText('STEP-1 worker alt screen');
    check('worker entered its alternate screen');
    d.type('\r');
    await d.waitForText('STEP-2 modes on');
    check('worker turned modes on');
    const modesOn = { mouse: d.term.modes.mouseTrackingMode, paste: d.term.modes.bracketedPasteMode, focus: d.term.modes.sendFocusMode, kitty: kittyFlagsOn(d.raw) };
    d.type('\r');
    await d.waitForText('STEP-3 worker left its alt screen');
    check('worker left its alternate screen');
    d.type('\r');
    // The worker exits with code 3 while attached: the deck comes back on its own.
    await d.waitForText('q quit');
    await d.waitForText(/modes exited with code 3 while you were attached/);
    check('detached');
    const modesAfter = { ...d.term.modes };
    const kittyAfter = kittyFlagsOn(d.raw);
    const leftMain = switches.filter((s) => s === 'normal').length;

    const resetProblems: string[] = [];
    if (modesAfter.mouseTrackingMode !== 'none') resetProblems.push(`mouse tracking ${modesAfter.mouseTrackingMode}`);
    if (modesAfter.sendFocusMode) resetProblems.push('focus events on');
    if (modesAfter.applicationCursorKeysMode) resetProblems.push('application cursor keys on');
    if (modesAfter.bracketedPasteMode !== modesBefore.bracketedPasteMode) resetProblems.push(`bracketed paste ${modesAfter.bracketedPasteMode}, the deck had ${modesBefore.bracketedPasteMode}`);
    if (kittyAfter) resetProblems.push('kitty keyboard flags still pushed');
    recordFigures('attach', {
      steps_outside_deck_alt_screen: outside.length,
      switches_to_main_screen: leftMain,
      raw_leave_alt_while_attached: countOf(d.raw.slice(attachedFrom), '\u001b[?1049l'),
      modes_left_on_after_detach: resetProblems.length,
    });

    // The worker's modes did reach the terminal while attached (so the reset check can fail).
    expect(modesOn).toEqual({ mouse: 'drag', paste: true, focus: true, kitty: true });
    expect(kittyBefore).toBe(false);
    expect.soft(outside, 'steps at which the real terminal was not in the alternate screen').toEqual([]);
    expect.soft(leftMain, 'times the real terminal switched to its main screen while the deck ran').toBe(0);
    expect.soft(resetProblems, 'modes left on after detach').toEqual([]);
    d.type('q');
    await d.waitForExit();
  });
});

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * Whether kitty keyboard flags are still on after `raw`: the last push
 * (`CSI > n u`) or set (`CSI = n ; m u` with n > 0) was not followed by a pop
 * (`CSI < n u`) or a set to 0.
 */
function kittyFlagsOn(raw: string): boolean {
  let on = false;
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b\[([<>=])(\d*)(?:;(\d+))?u/g)) {
    if (m[1] === '>') on = true;
    else if (m[1] === '<') on = false;
    else on = Number(m[2] || 0) !== 0;
  }
  return on;
}
