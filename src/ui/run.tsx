import { writeSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { render, type Instance } from 'ink';
import { AttachStream } from '../client/attach-stream.js';
import { findDetachKey, MODE_RESET, type DetachKey } from '../core/detach-key.js';
import { unansweredQuestions, unreadCount } from '../core/deck-state.js';
import type { Keymap } from '../core/commands.js';
import type { Deck } from '../deck.js';
import { setUi, type AppStore } from '../store.js';
import { App } from './App.js';
import { DeckContext, type DeckContextValue } from './context.js';
import { Controller, type ControllerOptions } from './controller.js';
import { decodeKeys } from './keys.js';
import { computeLayout } from './layout.js';
import type { Theme } from './theme.js';

// The deck asks for bracketed paste, so a pasted newline is text, not Enter.
const DECK_MODES = '\u001b[?2004h';
const ENTER_ALT = `\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J${DECK_MODES}`;
const LEAVE_ALT = '\u001b[?1049l\u001b[?25h';

export interface RunDeckOptions {
  deck: Deck;
  store: AppStore;
  theme: Theme;
  keymap: Keymap;
  detachKey: DetachKey;
  /** Shown in the header after `workerdeck`: the repo or dir. */
  label: string;
  presetProblems: Map<string, string | null>;
  spawnDefaults: ControllerOptions['spawnDefaults'];
  nudgeText: string;
  notify: { bell: boolean; title: boolean };
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Run the deck full-screen until the operator quits. Owns the terminal: the
 * alternate screen, raw mode, the Ink instance, attach and detach. Every exit
 * path (q, Ctrl-C, SIGTERM, SIGHUP, an uncaught error) stops the workers and
 * restores the terminal.
 * @returns the process exit code
 */
export async function runDeck(options: RunDeckOptions): Promise<number> {
  const { deck, store } = options;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const fd = (stdout as NodeJS.WriteStream & { fd?: number }).fd ?? 1;
  let ink: Instance | null = null;
  let gateOpen = true;
  let attached: { id: string; untap: () => void } | null = null;
  let finishing: Promise<number> | null = null;
  let restored = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const writeOut = (data: string): void => {
    try {
      writeSync(fd, data);
    } catch {
      // The terminal is gone (SIGHUP): nothing to draw on.
    }
  };

  // Ink draws through this gate; closing it lets the deck hand the screen to a worker.
  const inkOut = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (gateOpen) writeOut(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  }) as Writable & { columns: number; rows: number; isTTY: boolean };
  Object.defineProperty(inkOut, 'columns', { get: () => stdout.columns || 80 });
  Object.defineProperty(inkOut, 'rows', { get: () => stdout.rows || 24 });
  inkOut.isTTY = true;
  // Ink reads no input: the deck's own dispatcher does.
  const inkIn = new Readable({ read() {} }) as Readable & { isTTY: boolean };
  inkIn.isTTY = false;

  const restoreTerminal = (): void => {
    if (restored) return;
    restored = true;
    writeOut(MODE_RESET + LEAVE_ALT + (options.notify.title ? '\u001b]0;\u0007' : ''));
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // stdin already closed.
    }
    stdin.pause();
  };

  const context: DeckContextValue = {
    store,
    deck,
    theme: options.theme,
    keymap: options.keymap,
    presetProblems: options.presetProblems,
    detachKeyName: options.detachKey.name,
  };

  const mount = (): void => {
    gateOpen = true;
    ink = render(
      <DeckContext.Provider value={context}>
        <App label={options.label} />
      </DeckContext.Provider>,
      {
        stdout: inkOut as unknown as NodeJS.WriteStream,
        stdin: inkIn as unknown as NodeJS.ReadStream,
        stderr: inkOut as unknown as NodeJS.WriteStream,
        exitOnCtrlC: false,
        patchConsole: false,
        interactive: true,
        maxFps: 60,
        incrementalRendering: true,
      },
    );
  };

  const unmount = (): void => {
    gateOpen = false;
    ink?.unmount();
    ink?.cleanup();
    ink = null;
  };

  const syncSize = (): void => {
    const cols = stdout.columns || 80;
    const rows = stdout.rows || 24;
    setUi(store, { cols, rows });
    const layout = computeLayout(cols, rows, deck.getState().order.length);
    deck.setSize(layout.previewCols, layout.previewRows, attached?.id ?? null);
    if (attached) deck.resizeWorker(attached.id, cols, rows);
  };

  const finish = (code: number, message?: string): Promise<number> => {
    if (finishing) return finishing;
    finishing = (async () => {
      if (attached) attached.untap();
      attached = null;
      await deck.shutdown().catch(() => undefined);
      unmount();
      restoreTerminal();
      if (message) process.stderr.write(`${message}\n`);
      resolveDone(code);
      return code;
    })();
    return finishing;
  };

  const detach = (message?: string): void => {
    const current = attached;
    if (!current) return;
    current.untap();
    attached = null;
    // The terminal never left the deck's alternate screen (AttachStream): reset the worker's modes and redraw.
    writeOut(`${MODE_RESET}\u001b[?25l\u001b[H\u001b[2J${DECK_MODES}`);
    syncSize();
    mount();
    if (message) controller.flash(message, 'warn');
  };

  const attach = (id: string): void => {
    const worker = deck.getState().workers[id];
    const mirror = deck.screen(id);
    if (!worker || !mirror || !deck.isRunning(id)) return;
    unmount();
    const cols = stdout.columns || 80;
    const rows = stdout.rows || 24;
    deck.resizeWorker(id, cols, rows);
    // The worker's screen switches repaint from its mirror; the terminal stays on the deck's alternate screen.
    const stream = new AttachStream(writeOut);
    const untap = deck.tap(id, (data) => stream.output(data));
    mirror.watchSwitches((change) => stream.switched(change));
    attached = { id, untap: () => (untap(), mirror.watchSwitches(null), stream.close()) };
    // The deck's own modes off first; the painted screen turns on the worker's.
    void mirror.serializeActive().then((screen) => stream.begin(MODE_RESET + screen));
    void deck.whenExited(id).then(() => {
      if (attached?.id !== id) return;
      const w = deck.getState().workers[id];
      detach(`${worker.name} exited${w?.exitCode !== null && w?.exitCode !== undefined ? ` with code ${w.exitCode}` : ''} while you were attached.`);
    });
  };

  const controller = new Controller({
    store,
    deck,
    keymap: options.keymap,
    spawnDefaults: options.spawnDefaults,
    nudgeText: options.nudgeText,
    attach,
    quit: () => void finish(0),
  });

  const onInput = (chunk: string | Buffer): void => {
    const data = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (attached) {
      const match = findDetachKey(data, options.detachKey);
      if (!match) return deck.writeRaw(attached.id, data);
      if (match.start > 0) deck.writeRaw(attached.id, data.slice(0, match.start));
      if (match.releaseOnly) {
        const rest = data.slice(match.end);
        if (rest) onInput(rest);
        return;
      }
      detach();
      // Keys typed after the detach key in the same read are the deck's.
      const rest = data.slice(match.end);
      if (rest) onInput(rest);
      return;
    }
    if (finishing) return;
    for (const key of decodeKeys(data)) {
      if (attached) break;
      try {
        controller.handle(key);
      } catch (error) {
        // A key must never take the deck and its workers down.
        controller.flash(`That key failed: ${(error as Error).message}`, 'error');
      }
    }
  };

  // Keep the selection valid, mark mail as seen, and announce warnings and questions.
  let lastQuestions = unansweredQuestions(deck.getState()).length;
  const unsubscribe = deck.subscribe((state, event) => {
    store.setState({ deck: state });
    const { ui } = store.getState();
    if (ui.selectedId === null || !state.workers[ui.selectedId]) {
      const first = state.order.at(-1) ?? null;
      if (first !== ui.selectedId) setUi(store, { selectedId: first });
    }
    if (event.type === 'worker-added' || event.type === 'worker-removed') syncSize();
    const lastWarning = state.warnings.at(-1);
    if (lastWarning && lastWarning.id > ui.lastWarningId) {
      setUi(store, { lastWarningId: lastWarning.id, flash: { text: lastWarning.text, level: 'warn', at: Date.now() } });
    }
    const questions = unansweredQuestions(state).length;
    if (questions !== lastQuestions) {
      if (questions > lastQuestions && options.notify.bell && !attached) writeOut('\u0007');
      if (options.notify.title && !attached) writeOut(`\u001b]0;${questions > 0 ? `workerdeck: ${questions} question${questions === 1 ? '' : 's'}` : 'workerdeck'}\u0007`);
      lastQuestions = questions;
    }
  });
  const unsubscribeSeen = store.subscribe((s) => {
    const id = s.ui.selectedId;
    if (!id || attached) return;
    if (unreadCount(s.deck, id) > 0) {
      const seq = Math.max(...s.deck.mail.filter((m) => m.workerId === id).map((m) => m.seq));
      queueMicrotask(() => deck.dispatch({ type: 'mail-seen', workerId: id, seq }));
    }
  });

  const onSignal = (signal: NodeJS.Signals) => void finish(signal === 'SIGINT' ? 130 : 128 + (signal === 'SIGHUP' ? 1 : 15));
  const onFatal = (error: unknown) => {
    deck.killAllNow();
    unmount();
    restoreTerminal();
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error && error.stack ? `\nDetails for a bug report:\n${error.stack}\n` : '\n';
    process.stderr.write(`workerdeck stopped on an unexpected error: ${message}. Its workers were stopped; worktrees are kept.${stack}`);
    process.exit(1);
  };
  const onExit = () => {
    deck.killAllNow();
    restoreTerminal();
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const processHandlers: [string, (...args: any[]) => void][] = [
    ['SIGTERM', onSignal],
    ['SIGHUP', onSignal],
    ['SIGINT', onSignal],
    ['uncaughtException', onFatal],
    ['unhandledRejection', onFatal],
    ['exit', onExit],
  ];
  for (const [event, handler] of processHandlers) process.on(event, handler);
  stdout.on('resize', syncSize);

  // Warnings from start-up (broken config, unknown preset) show at once.
  const startWarnings = deck.getState().warnings;
  const latest = startWarnings.at(-1);
  if (latest) {
    setUi(store, {
      lastWarningId: latest.id,
      flash: { text: startWarnings.length > 1 ? `${latest.text} (+${startWarnings.length - 1} more: w)` : latest.text, level: 'warn', at: Date.now() },
    });
  }
  writeOut(ENTER_ALT);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.on('data', onInput);
  stdin.resume();
  syncSize();
  store.setState({ deck: deck.getState() });
  if (!store.getState().ui.selectedId) setUi(store, { selectedId: deck.getState().order.at(-1) ?? null });
  mount();

  const code = await done;
  unsubscribe();
  unsubscribeSeen();
  stdin.off('data', onInput);
  stdout.off('resize', syncSize);
  for (const [event, handler] of processHandlers) process.off(event, handler);
  return code;
}
