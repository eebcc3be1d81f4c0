import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor, type DeckTerminal } from '../helpers/term.js';
import { deckFixture, spawnAndAttach } from '../helpers/e2e.js';

/** True when `name` is a command on this machine's PATH. */
function installed(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The outer terminal's cursor visibility; xterm keeps it off its public API. */
function cursorHidden(d: DeckTerminal): boolean {
  return (d.term as unknown as { _core: { coreService: { isCursorHidden: boolean } } })._core.coreService.isCursorHidden;
}

describe('attach: the deck owns the real terminal screen (built binary at 120x40)', () => {
  const f = deckFixture();

  // One retry: now and then less does not redraw its first line within the deadline after a
  // detach and re-attach (seen 1 in 3 runs on a busy machine; cause not found yet). A second failure fails CI.
  it('keeps the terminal on its alternate screen through a worker switching screens, resets its modes, and leaves nothing on the user screen', { retry: 1 }, async () => {
    const d = f.open();
    // What the user had on the screen before starting the deck.
    d.term.write(`${Array.from({ length: 45 }, (_, i) => `user-line-${i + 1}`).join('\r\n')}\r\n`);
    // Every screen switch of the outer terminal, however briefly: only the deck's own two may happen.
    const switches: string[] = [];
    d.term.buffer.onBufferChange((active) => switches.push(active.type));
    await d.waitForText('q quit');
    const buffer = () => d.term.buffer.active.type;
    expect(buffer()).toBe('alternate');

    await spawnAndAttach(d, f.list);
    expect(buffer()).toBe('alternate');
    d.type("printf 'normal-%s\\n' 1 2 3\r");
    await d.waitForText('normal-3');
    expect(buffer()).toBe('alternate');

    /** Run `enter`, print `marker` on the worker's alternate screen, wait for Enter, then run `leave`. */
    const altRoundTrip = async (enter: string, marker: [string, string], leave: string) => {
      const shown = marker.join('-');
      d.type(`${enter}; printf '%s-%s\\n' ${marker.join(' ')}; read -s x; ${leave}\r`);
      await d.waitForText(shown);
      expect(buffer(), `on the worker's alternate screen (${enter})`).toBe('alternate');
      expect(d.screen(), `the worker's alternate screen is blank but for its own output (${enter})`).not.toContain('normal-3');
      d.type('\r');
      await waitFor(() => d.screen().includes('normal-3') && !d.screen().includes(shown), `the worker's normal screen after ${leave}`, 10_000, () => d.screen());
      expect(buffer(), `back on the worker's normal screen (${leave})`).toBe('alternate');
      expect(d.screen()).not.toContain('user-line-');
    };
    await altRoundTrip("printf '\\e[?1049h'", ['IN', 'ALT'], "printf '\\e[?1049l'");
    await altRoundTrip("printf '\\e[?1049;2004h'", ['COMBINED', 'ALT'], "printf '\\e[?2004;1049l'");
    await altRoundTrip("printf '\\e[?1047h'", ['ALT', '1047'], "printf '\\e[?1047l'");
    await altRoundTrip("printf '\\e[?47h'", ['ALT', '47'], "printf '\\e[?47l'");
    await altRoundTrip('tput smcup', ['TPUT', 'ALT'], 'tput rmcup');
    // The switch split across two writes of the worker, so across output chunks.
    d.type("printf '%s-%s\\n\\e[?10' SPLIT READY; read -s x; printf '49h%s-%s\\n' SPLIT ALT; read -s x; printf '\\e[?1049l'\r");
    await d.waitForText('SPLIT-READY');
    d.type('\r');
    await d.waitForText('SPLIT-ALT');
    expect(buffer()).toBe('alternate');
    expect(d.screen()).not.toContain('normal-3');
    d.type('\r');
    await waitFor(() => d.screen().includes('normal-3') && !d.screen().includes('SPLIT-ALT'), 'the normal screen after a split switch', 10_000, () => d.screen());
    expect(buffer()).toBe('alternate');

    // less (where installed) switches and draws in one write; detach and attach again while it runs.
    if (installed('less')) {
      const file = path.join(f.home.dir, 'pager.txt');
      writeFileSync(file, Array.from({ length: 100 }, (_, i) => `pager-line-${i + 1}`).join('\n'));
      d.type(`less ${file}\r`);
      await d.waitForText('pager-line-1\n');
      expect(buffer()).toBe('alternate');
      expect(d.screen()).not.toContain('normal-3');
      d.type('\u001d');
      await d.waitForText('q quit');
      d.type('\r');
      await waitFor(() => !d.screen().includes('q quit') && d.screen().includes('pager-line-1\n'), 'less again after attaching', 20_000, () => d.screen());
      expect(buffer()).toBe('alternate');
      expect(d.screen()).not.toContain('normal-3');
      d.type('q');
      await waitFor(() => d.screen().includes('normal-3') && !d.screen().includes('pager-line-1\n'), 'the normal screen after less', 10_000, () => d.screen());
      expect(buffer()).toBe('alternate');
    }

    // Modes an agent TUI turns on, then it exits while attached.
    d.type("printf '\\e[>1u\\e[?1000h\\e[?1006h\\e[?1h\\e[?25l%s-%s\\n' MODES ON; read -s x; exit\r");
    await d.waitForText('MODES-ON');
    expect(d.term.modes.mouseTrackingMode).toBe('vt200');
    expect(d.term.modes.applicationCursorKeysMode).toBe(true);
    expect(cursorHidden(d)).toBe(true);
    const modesOnAt = d.raw.lastIndexOf('\u001b[>1u');
    expect(modesOnAt).toBeGreaterThan(-1);
    d.type('\r');
    await d.waitForText('while you were attached');
    await d.waitForText('q quit');
    expect(buffer()).toBe('alternate');
    expect(d.term.modes.mouseTrackingMode).toBe('none');
    expect(d.term.modes.applicationCursorKeysMode).toBe(false);
    // xterm does not track kitty keyboard or the mouse encoding: the reset must follow the worker's last set.
    expect(d.raw.indexOf('\u001b[<99u', modesOnAt)).toBeGreaterThan(modesOnAt);
    expect(d.raw.lastIndexOf('\u001b[?1006l')).toBeGreaterThan(d.raw.lastIndexOf('\u001b[?1006h'));

    d.type('q');
    expect((await d.waitForExit()).exitCode).toBe(0);
    await waitFor(() => d.term.buffer.active.type === 'normal', 'the normal screen after quit', 5_000, () => d.screen());
    const screen = d.screen();
    expect(screen).toContain('user-line-45');
    expect(screen).toContain('user-line-10');
    for (const worker of ['normal-', 'ALT', 'pager-line', 'MODES', 'printf', 'stty']) expect(screen).not.toContain(worker);
    expect(d.term.modes.mouseTrackingMode).toBe('none');
    expect(d.term.modes.bracketedPasteMode).toBe(false);
    expect(d.term.modes.applicationCursorKeysMode).toBe(false);
    expect(cursorHidden(d)).toBe(false);
    // Never a screen switch but the deck's own: one enter at start, one leave at quit.
    expect(switches).toEqual(['alternate', 'normal']);
    expect(d.raw.split('\u001b[?1049l')).toHaveLength(2);
    expect(d.raw.split('\u001b[?1049h')).toHaveLength(2);
  });

  it('chaos: a worker flooding screen switches while you detach, attach and resize, then dying on its alternate screen', async () => {
    const d = f.open();
    const switches: string[] = [];
    d.term.buffer.onBufferChange((active) => switches.push(active.type));
    await d.waitForText('q quit');
    await spawnAndAttach(d, f.list);
    // 400 rounds of: alternate screen, draw, back, a line on the normal screen; sleeps so the test can act mid-flood.
    d.type(
      "for i in $(seq 400); do printf '\\e[?1049h\\e[2J\\e[Hflood-alt-%d\\e[?1049;2004l' $i; printf 'flood-normal-%d\\n' $i; sleep 0.01; done; printf '%s-%s\\n' FLOOD DONE\r",
    );
    await d.waitForText(/flood-normal-\d/);
    d.type('\u001d');
    await d.waitForText('q quit');
    expect(d.term.buffer.active.type).toBe('alternate');
    d.resize(100, 30);
    await d.waitForText('q quit');
    d.type('\r');
    await waitFor(() => !d.screen().includes('q quit'), 'attached again mid-flood', 10_000, () => d.screen());
    d.resize(120, 40);
    d.type('\u001d');
    await d.waitForText('q quit');
    d.type('\r');
    await waitFor(() => !d.screen().includes('q quit'), 'attached once more', 10_000, () => d.screen());
    await d.waitForText('FLOOD-DONE', 60_000);
    expect(d.screen()).toContain('flood-normal-400');
    expect(d.screen()).not.toContain('flood-alt-');
    expect(switches).toEqual(['alternate']);

    // It dies while on its alternate screen, with modes on.
    d.type("printf '\\e[?1049h\\e[?1000h\\e[?1hdying'; exit 3\r");
    await d.waitForText('exited with code 3 while you were attached');
    await d.waitForText('q quit');
    expect(d.term.buffer.active.type).toBe('alternate');
    expect(d.term.modes.mouseTrackingMode).toBe('none');
    expect(d.term.modes.applicationCursorKeysMode).toBe(false);
    d.type('q');
    expect((await d.waitForExit()).exitCode).toBe(0);
    await waitFor(() => d.term.buffer.active.type === 'normal', 'the normal screen after quit', 5_000, () => d.screen());
    expect(switches).toEqual(['alternate', 'normal']);
    expect(d.screen()).not.toMatch(/flood|dying|stty/);
  });
});
