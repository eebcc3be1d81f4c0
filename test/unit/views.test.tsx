import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { buildKeymap } from '../../src/core/commands.js';
import { emptyDeckState, reduce, type DeckState } from '../../src/core/deck-state.js';
import type { MailMessage } from '../../src/core/mail.js';
import type { ScreenSnapshot } from '../../src/core/protocol.js';
import { newWorkerRecord } from '../../src/core/worker.js';
import type { DeckClient } from '../../src/client/remote-deck.js';
import { createAppStore, setUi, type AppStore } from '../../src/store.js';
import { App } from '../../src/ui/App.js';
import { waitFor } from '../helpers/term.js';
import { DeckContext } from '../../src/ui/context.js';
import { NO_COLOR_THEME } from '../../src/ui/theme.js';
import { ClockContext, type ViewClock } from '../../src/ui/useNow.js';

/**
 * A DeckClient that serves a fixed state and screens: the views read only the
 * store and these few methods. Commands are refused: views never run them.
 */
function viewClient(state: DeckState, screens: Record<string, string[]>): DeckClient {
  return {
    presets: [
      { name: 'shell', description: 'Your $SHELL', supportsSkipPermissions: false, canResume: true, problem: null },
      { name: 'claude', description: 'Claude Code', supportsSkipPermissions: true, canResume: true, problem: 'npm i -g @anthropic-ai/claude-code' },
    ],
    label: 'repo (main)',
    server: { pid: 1, version: 'test' },
    getState: () => state,
    execute: () => Promise.reject(new Error('views run no commands')),
    subscribe: () => () => undefined,
    watch: () => undefined,
    onScreen: () => () => undefined,
    lastScreen: (id: string, scroll: number): ScreenSnapshot | null => (screens[id] ? { id, scroll, rows: screens[id], scrollback: 0 } : null),
    attach: () => Promise.reject(new Error('views do not attach')),
    onClose: () => () => undefined,
    close: () => undefined,
  };
}

function deckWith(): DeckState {
  let state = emptyDeckState();
  const at = Date.now() - 60_000;
  for (const [id, name] of [
    ['a1b2', 'api-fix'],
    ['c3d4', 'docs'],
  ] as const) {
    state = reduce(state, { type: 'worker-added', worker: newWorkerRecord({ id, name, agent: 'shell', cwd: '/repo', createdAt: at, branch: `worker/${name}-${id}` }) });
    state = reduce(state, { type: 'worker-started', id, pid: 1000, command: ['/bin/sh'], at });
  }
  const question: MailMessage = {
    id: 'q1',
    workerId: 'c3d4',
    workerName: 'docs',
    type: 'question',
    content: 'Which style guide?',
    timestamp: at + 1000,
    inReplyTo: null,
    seq: 1,
  };
  return reduce(state, { type: 'mail-received', message: question });
}

function renderApp(store: AppStore, client: DeckClient, clock?: ViewClock) {
  const app = (
    <DeckContext.Provider value={{ store, client, theme: NO_COLOR_THEME, keymap: buildKeymap(), presetProblems: new Map(client.presets.map((p) => [p.name, p.problem])), detachKeyName: 'ctrl+]' }}>
      <App label={client.label} />
    </DeckContext.Provider>
  );
  return render(clock ? <ClockContext.Provider value={clock}>{app}</ClockContext.Provider> : app);
}

/** A clock that moves only when told: `advance` runs the timers that fall due, in order. */
function fakeClock(start: number) {
  let t = start;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: ViewClock = {
    now: () => t,
    after: (ms, fn) => {
      const timer = { at: t + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((x) => x !== timer);
      };
    },
  };
  return {
    clock,
    /** ms from now to the soonest timer, Infinity when none is set. */
    nextIn: () => Math.min(...timers.map((x) => x.at - t)),
    advance(ms: number) {
      const to = t + ms;
      for (;;) {
        const due = timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((x) => x !== due);
        t = due.at;
        due.fn();
      }
      t = to;
    },
  };
}

describe('the Ink views, from the store alone', () => {
  it('draw the list with statuses and unread mail, the preview of the selected worker, and the question in the mail panel', () => {
    const state = deckWith();
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, { selectedId: 'a1b2' });
    const { lastFrame, unmount } = renderApp(store, viewClient(state, { a1b2: ['$ make test', 'ok 12 tests'] }));
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/api-fix\s+shell\s+running/);
    expect(frame).toMatch(/docs\s+shell\s+asking/);
    expect(frame).toContain('✉1');
    expect(frame).toContain('ok 12 tests');
    expect(frame).toContain('Which style guide?');
    expect(frame).toMatch(/n new .*q quit/);
    unmount();
  });

  it('show the spawn form with the layer keys in the footer, and a preset that is not installed', () => {
    const state = deckWith();
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, {
      mode: 'spawn',
      spawn: { task: 'fix it', name: '', nameTouched: false, agent: 'claude', worktree: true, base: 'main', skipPermissions: false, field: 'agent', busy: false },
    });
    const { lastFrame, unmount } = renderApp(store, viewClient(state, {}));
    const frame = lastFrame() ?? '';
    expect(frame).toContain('Spawn a worker');
    expect(frame).toContain('◀ claude ▶  not installed: npm i -g @anthropic-ai/claud');
    expect(frame).toMatch(/⏎ spawn/);
    expect(frame).toMatch(/Esc cancel/);
    expect(frame).not.toMatch(/r reply/);
    unmount();
  });

  it('generate the help from every layer, with why a command cannot run now', () => {
    const state = deckWith();
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, { mode: 'help', selectedId: null });
    const { lastFrame, unmount } = renderApp(store, viewClient(state, {}));
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/x\s+Stop the selected worker.*\(now: No worker selected\.\)/);
    expect(frame).toContain('Spawn form (n):');
    expect(frame).toContain('Reply box (r):');
    expect(frame).toMatch(/\^\]\s+Detach/);
    unmount();
  });

  it('name y / A / N in the panel, the footer and the help only while a permission prompt waits on the selected worker', async () => {
    let state = deckWith();
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, { selectedId: 'a1b2' });
    const { lastFrame, rerender, unmount } = renderApp(store, viewClient(state, {}));
    expect(lastFrame()).not.toMatch(/y allow/);
    const permission = { id: 'ask1', tool: 'Bash', detail: 'rm -rf build', allowAlways: false };
    state = reduce(state, { type: 'needs-input', id: 'a1b2', needsInput: { reason: 'permission: Bash rm -rf build', source: 'hook', since: Date.now(), permission }, source: 'hook' });
    store.setState({ deck: state });
    rerender(
      <DeckContext.Provider value={{ store, client: viewClient(state, {}), theme: NO_COLOR_THEME, keymap: buildKeymap(), presetProblems: new Map(), detachKeyName: 'ctrl+]' }}>
        <App label="test" />
      </DeckContext.Provider>,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/api-fix\s+shell\s+needs input/);
    expect(frame).toContain('Permission asked: Bash');
    expect(frame).toContain('  rm -rf build');
    expect(frame).toContain('y allow once · N deny');
    // No "always" where the agent does not offer it; the footer leads with the answers.
    expect(frame).toMatch(/\ny allow  N deny  n new/);
    setUi(store, { mode: 'help' });
    await waitFor(() => /Keys \(/.test(lastFrame() ?? ''), 'the help');
    expect(lastFrame()).toMatch(/y\s+Allow the selected worker's permission prompt once/);
    expect(lastFrame()).not.toMatch(/A\s+Allow it always/);
    setUi(store, { mode: 'list', selectedId: 'c3d4' });
    await waitFor(() => /Needs you/.test(lastFrame() ?? ''), 'the list');
    expect(lastFrame()).not.toMatch(/y allow/);
    unmount();
  });

  it('say "terminal too small" below 80x24 instead of running the columns together, and lay out from 80x24', () => {
    const state = deckWith();
    for (const [cols, rows, small] of [[79, 40, true], [120, 23, true], [80, 24, false]] as const) {
      const store = createAppStore(cols, rows);
      store.setState({ deck: state });
      const { lastFrame, unmount } = renderApp(store, viewClient(state, {}));
      const frame = lastFrame() ?? '';
      if (small) {
        expect(frame).toContain(`Terminal too small: ${cols}x${rows}.`);
        expect(frame).not.toContain('NAME');
      } else {
        expect(frame).not.toContain('Terminal too small');
        expect(frame).toContain('NAME');
      }
      unmount();
    }
  });

  it('scroll the warnings overlay to every warning, each shown whole, and clamp at the last page', async () => {
    let state = deckWith();
    for (let i = 1; i <= 50; i++) {
      state = reduce(state, { type: 'warning', text: `warning number ${i}: ${'a long explanation that goes on '.repeat(i === 1 ? 8 : 1)}end-of-${i}`, at: Date.now() });
    }
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, { mode: 'warnings' });
    const { lastFrame, unmount } = renderApp(store, viewClient(state, {}));
    expect(lastFrame()).toMatch(/Warnings \(50\) — w or Esc closes — 1–\d+ of \d+, j\/k scroll/);
    expect(lastFrame()).toContain('end-of-50');
    expect(lastFrame()).not.toContain('end-of-1 ');
    setUi(store, { overlayScroll: 10_000 });
    await waitFor(() => (lastFrame() ?? '').includes('end-of-1'), 'the last page');
    const frame = lastFrame() ?? '';
    // The oldest warning, longer than a row, is there whole, on wrapped rows.
    expect(frame).toContain('end-of-1');
    expect(frame.match(/a long explanation that goes on/g)?.length ?? 0).toBeGreaterThanOrEqual(9);
    expect(store.getState().ui.overlayScroll).toBeLessThan(10_000);
    unmount();
  });

  it('redraw the ages only when their text changes: each second under a minute, then once a minute', async () => {
    const start = 1_800_000_000_000;
    const fake = fakeClock(start);
    let state = emptyDeckState();
    // 58.5 s old, and a second worker 30.2 s old: both change text on the same whole second.
    for (const [id, name, age] of [['a1b2', 'api-fix', 58_500], ['c3d4', 'docs', 30_200]] as const) {
      state = reduce(state, { type: 'worker-added', worker: newWorkerRecord({ id, name, agent: 'shell', cwd: '/repo', createdAt: start - age, branch: `worker/${name}` }) });
      state = reduce(state, { type: 'worker-started', id, pid: 1000, command: ['/bin/sh'], at: start - age });
    }
    const store = createAppStore(120, 40);
    store.setState({ deck: state });
    setUi(store, { selectedId: 'a1b2' });
    const { lastFrame, frames, unmount } = renderApp(store, viewClient(state, {}), fake.clock);
    const age = (name: string) => (lastFrame() ?? '').match(new RegExp(`${name}\\s+shell\\s+running\\s+\\S+\\s+(\\S+)`))?.[1];
    expect([age('api-fix'), age('docs')]).toEqual(['58s', '30s']);
    expect(fake.nextIn()).toBe(1000);
    const before = frames.length;
    fake.advance(1000);
    await waitFor(() => age('api-fix') === '59s' && age('docs') === '31s', 'the ages 59s and 31s');
    await waitFor(() => fake.nextIn() === 1000, 'the next redraw a second away');
    // Both rows changed in one frame.
    expect(frames.length - before).toBe(1);
    fake.advance(1000);
    await waitFor(() => age('api-fix') === '1m' && age('docs') === '32s', 'the age 1m');
    // Only the docs row's seconds wake the views now; once it reads 1m too, nothing before 2m (on a 10 s mark).
    for (let s = 0; s < 28; s++) {
      await waitFor(() => fake.nextIn() === 1000, 'a redraw a second away');
      fake.advance(1000);
    }
    await waitFor(() => age('docs') === '1m', 'the docs age 1m');
    await waitFor(() => fake.nextIn() === 40_000, 'the next redraw when api-fix reads 2m (at 2m 8.5s, the next 10 s mark)');
    const quiet = frames.length;
    fake.advance(39_999);
    expect(frames.length).toBe(quiet);
    expect(age('api-fix')).toBe('1m');
    fake.advance(1);
    await waitFor(() => age('api-fix') === '2m', 'the age 2m');
    unmount();
  });
});
