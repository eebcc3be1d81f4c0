import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOutput } from '../../bench/gen-output.js';
import { waitFor, type DeckTerminal } from '../helpers/term.js';
import { deckFixture, spawnAndAttach } from '../helpers/e2e.js';

type Term = DeckTerminal['term'];

/** Every cell of rows `from`..`to` (exclusive): its text and what xterm keeps of its attributes. */
function cells(term: Term, from: number, to: number): string[] {
  const buffer = term.buffer.active;
  const rows: string[] = [];
  const cell = buffer.getNullCell();
  for (let y = from; y < to; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    const out: string[] = [];
    for (let x = 0; x < term.cols; x++) {
      line?.getCell(x, cell);
      out.push(
        `${cell.getChars() || ' '}/${cell.getWidth()}/${cell.getFgColorMode()}:${cell.getFgColor()}/${cell.getBgColorMode()}:${cell.getBgColor()}` +
          `/${cell.isBold()}${cell.isDim()}${cell.isItalic()}${cell.isUnderline()}${cell.isInverse()}`,
      );
    }
    rows.push(out.join(' '));
  }
  return rows;
}

/** The cursor and the terminal modes a worker can set, as the outer terminal has them. */
function cursorAndModes(term: Term): unknown {
  const core = (term as unknown as { _core: { coreService: { isCursorHidden: boolean } } })._core;
  return { x: term.buffer.active.cursorX, y: term.buffer.active.cursorY, hidden: core.coreService.isCursorHidden, buffer: term.buffer.active.type, modes: term.modes };
}

describe('attach: an outer terminal that falls behind a flood (built binary at 120x40)', () => {
  const f = deckFixture();

  it('gets a repaint from the mirror instead of the raw backlog, and ends with exactly the worker\'s screen, cursor and modes', async () => {
    const file = path.join(f.home.dir, 'flood.txt');
    generateOutput(file, 6 * 1024 * 1024, 13);
    const size = statSync(file).size;
    const d = f.open();
    await d.waitForText('q quit');
    await spawnAndAttach(d, f.list);
    const name = f.list()[0]!.name;

    // The outer terminal stops reading (as a slow terminal would) while the worker prints 6 MiB.
    const before = d.raw.length;
    d.pty.pause();
    d.type(`cat ${file}; printf '\\033[?25l\\033[?2004h\\033[3;7Hflood-%s-done' $((6*7))\r`);
    // The worker's mirror has everything: the server holds no raw backlog for it.
    await waitFor(() => f.cli(['logs', name]).includes('flood-42-done'), 'the worker to finish printing', 60_000);
    d.pty.resume();
    await d.waitForText('flood-42-done', 30_000);
    // Settled: no more output comes (the server's repaint and anything after it have arrived).
    let seen = -1;
    await waitFor(() => {
      const quiet = seen === d.raw.length;
      seen = d.raw.length;
      return quiet;
    }, 'the outer terminal to settle', 10_000, () => d.screen(), 300);
    // The terminal was given far less than the worker printed: the backlog was skipped, not parsed.
    expect(d.raw.length - before).toBeLessThan(size / 2);

    // The reference: a second client attaching now is painted from the worker's mirror.
    const ref = f.open(['attach', name]);
    await waitFor(() => ref.screen().includes('flood-42-done'), 'the reference paint', 15_000, () => ref.screen());
    let refSeen = -1;
    await waitFor(() => {
      const quiet = refSeen === ref.raw.length;
      refSeen = ref.raw.length;
      return quiet;
    }, 'the reference to settle', 10_000, () => ref.screen(), 300);
    // The bottom row of a fresh attach carries the detach hint over the paint; the mirror's text has it plainly.
    expect(cells(d.term, 0, 39)).toEqual(cells(ref.term, 0, 39));
    expect(cursorAndModes(d.term)).toEqual(cursorAndModes(ref.term));
    expect(d.screen().split('\n').map((l) => l.trimEnd())).toEqual(f.cli(['logs', name]).replace(/\n$/, '').split('\n').map((l) => l.trimEnd()));
    ref.type('\x1d');
    await ref.waitForExit();
  }, 120_000);
});
