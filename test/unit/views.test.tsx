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

function renderApp(store: AppStore, client: DeckClient) {
  return render(
    <DeckContext.Provider value={{ store, client, theme: NO_COLOR_THEME, keymap: buildKeymap(), presetProblems: new Map(client.presets.map((p) => [p.name, p.problem])), detachKeyName: 'ctrl+]' }}>
      <App label={client.label} />
    </DeckContext.Provider>,
  );
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
});
