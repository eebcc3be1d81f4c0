import { Readable, Writable } from 'node:stream';
import { render, type Instance } from 'ink';
import { MODE_RESET, type DetachKey } from '../core/detach-key.js';
import { reduce, unansweredQuestions, unreadCount, type DeckEvent, type DeckState } from '../core/deck-state.js';
import type { Keymap } from '../core/commands.js';
import { hasLiveProcess } from '../core/worker.js';
import { setUi, type AppStore } from '../store.js';
import { App } from '../ui/App.js';
import { DeckContext, type DeckContextValue } from '../ui/context.js';
import { Controller, type ControllerOptions } from '../ui/controller.js';
import { decodeKeys } from '../ui/keys.js';
import { computeLayout } from '../ui/layout.js';
import type { Theme } from '../ui/theme.js';
import { attachTerminal } from './attach.js';
import { trimHeap } from './heap-trim.js';
import type { DeckClient } from './remote-deck.js';
import { DECK_MODES, TerminalHost } from './terminal.js';
import { DesktopNotifier, type DesktopNotifyConfig } from './desktop-notify.js';
import type { ExitGuard } from '../process-exit.js';


export interface RunTuiOptions {
  client: DeckClient;
  store: AppStore;
  theme: Theme;
  keymap: Keymap;
  detachKey: DetachKey;
  spawnDefaults: ControllerOptions['spawnDefaults'];
  nudgeText: string;
  notify: { bell: boolean; title: boolean } & DesktopNotifyConfig;
  /** The process's way out: every exit path begins it, and its watchdog bounds the rest. */
  exit: ExitGuard;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** How the TUI ended: the exit code and the line to print under the restored terminal. */
export interface TuiExit {
  code: number;
  message: string | null;
}

/**
 * Run the TUI client full-screen until the operator quits. Owns the terminal
 * (through TerminalHost): the alternate screen, raw mode, the Ink instance,
 * attach and detach. Quitting leaves the workers running in the server.
 * Every exit path (q, Ctrl-C, SIGTERM, SIGHUP, an uncaught error, the server
 * going away) restores the terminal and resolves; the caller exits the process.
 */
export async function runTui(options: RunTuiOptions): Promise<TuiExit> {
  const { client, store } = options;
  const host = new TerminalHost(options.stdin ?? process.stdin, options.stdout ?? process.stdout);
  // OSC 9 / OSC 777 desktop notifications, and the focus reports they may wait on.
  const desktop = new DesktopNotifier(options.notify);
  let ink: Instance | null = null;
  let gateOpen = true;
  let attached: { id: string; input: (data: string) => void } | null = null;
  let finished = false;
  let resolveDone!: (exit: TuiExit) => void;
  const done = new Promise<TuiExit>((resolve) => (resolveDone = resolve));

  // Ink draws through this gate; closing it lets the client hand the screen to a worker.
  const inkOut = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (gateOpen) host.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  }) as Writable & { columns: number; rows: number; isTTY: boolean };
  Object.defineProperty(inkOut, 'columns', { get: () => host.cols });
  Object.defineProperty(inkOut, 'rows', { get: () => host.rows });
  inkOut.isTTY = true;
  // Ink reads no input: the client's own dispatcher does.
  const inkIn = new Readable({ read() {} }) as Readable & { isTTY: boolean };
  inkIn.isTTY = false;

  const context: DeckContextValue = {
    store,
    client,
    theme: options.theme,
    keymap: options.keymap,
    presetProblems: new Map(client.presets.map((p) => [p.name, p.problem])),
    detachKeyName: options.detachKey.name,
  };

  const mount = (): void => {
    gateOpen = true;
    ink = render(
      <DeckContext.Provider value={context}>
        <App label={client.label} />
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

  let lastSize = '';
  const syncSize = (): void => {
    const cols = host.cols;
    const rows = host.rows;
    setUi(store, { cols, rows });
    const layout = computeLayout(cols, rows, store.getState().deck.order.length);
    const key = `${layout.previewCols}x${layout.previewRows}`;
    if (key !== lastSize) {
      lastSize = key;
      void client.execute({ type: 'set-size', cols: Math.max(2, layout.previewCols), rows: Math.max(2, layout.previewRows) }).catch(() => undefined);
    }
    if (attached) void client.execute({ type: 'resize-worker', id: attached.id, cols, rows }).catch(() => undefined);
  };

  // The client's heap back to what it holds after a burst of churn (see trimHeap).
  const stopTrim = trimHeap();
  const finish = (exit: TuiExit): void => {
    if (finished) return;
    finished = true;
    stopTrim();
    // The caller ends the process after this resolves; if anything hangs, the watchdog does.
    options.exit.begin(exit.code);
    attached = null;
    try {
      unmount();
    } catch {
      // Ink failed on the way out: the terminal is restored below all the same.
    }
    host.restore(options.notify.title);
    resolveDone(exit);
  };

  const detachedMessage = (): string => {
    const running = Object.values(store.getState().deck.workers).filter(hasLiveProcess).length;
    return running > 0
      ? `Detached from ${running} running worker${running === 1 ? '' : 's'}; run workerdeck to come back.`
      : 'No workers running.';
  };

  const backToDeck = (message?: string): void => {
    attached = null;
    // The terminal never left the deck's alternate screen (the server turns the worker's switches into repaints).
    host.write(`${MODE_RESET}\u001b[?25l\u001b[H\u001b[2J${DECK_MODES}${desktop.modes()}`);
    if (options.notify.title) host.write(deckTitle(unansweredQuestions(store.getState().deck).length));
    lastSize = '';
    syncSize();
    mount();
    if (message) controller.flash(message, 'warn');
  };

  const attach = (id: string): void => {
    const worker = store.getState().deck.workers[id];
    if (!worker || attached) return;
    unmount();
    // No preview while attached: the server stops pushing this worker's screen (a render of its
    // mirror per change); the preview watches again when it mounts after the detach.
    client.watch(null, 0);
    // Keys typed while the channel opens wait for it, in order.
    const early: string[] = [];
    // Focus reports typed before the worker's screen is up are the deck's own (its mode was on).
    const placeholder = { id, input: (data: string) => void early.push(desktop.filterInput(data)) };
    attached = placeholder;
    client
      .attach(id, host.cols, host.rows)
      .then((channel) => {
        if (attached !== placeholder) return channel.close();
        // How to detach in the title; the output at the terminal's pace (one that falls behind gets a repaint).
        const p = attachTerminal(channel, host, worker.name, options.detachKey);
        // The deck's own focus reports are dropped, unless the worker turned focus reporting on: then they are its.
        attached = { id, input: (data) => p.input(p.focusReports() ? data : desktop.filterInput(data)) };
        // As one string, so keys typed after a detach key in there go to the deck (AttachEnd.rest), not to a closed channel.
        const typed = early.splice(0).join('');
        if (typed) p.input(typed);
        void p.ended.then((end) => {
          if (finished || attached?.id !== id) return;
          const w = store.getState().deck.workers[id];
          const message =
            end.how === 'ended'
              ? w && !hasLiveProcess(w)
                ? `${w.name} exited${w.exitCode !== null ? ` with code ${w.exitCode}` : ''} while you were attached.`
                : `The attach to ${worker.name} ended.`
              : undefined;
          backToDeck(message);
          if (end.rest) onInput(end.rest);
        });
      })
      .catch((error: Error) => {
        if (attached === placeholder) backToDeck(error.message);
      });
  };

  const controller = new Controller({
    store,
    client,
    keymap: options.keymap,
    spawnDefaults: options.spawnDefaults,
    nudgeText: options.nudgeText,
    attach,
    quit: () => finish({ code: 0, message: detachedMessage() }),
  });

  /** The attach in progress, read afresh (a key handler may have just started one). */
  const attachedNow = () => attached;

  function onInput(data: string): void {
    if (finished) return;
    if (attached) return attached.input(data);
    for (const key of decodeKeys(data)) {
      if (finished) break;
      if (desktop.onKey(key.name)) continue;
      // Keys after the one that attached belong to the worker.
      const target = attachedNow();
      if (target) {
        target.input(key.raw ?? '');
        continue;
      }
      try {
        controller.handle(key);
      } catch (error) {
        // A key must never take the client down.
        controller.flash(`That key failed: ${(error as Error).message}`, 'error');
      }
    }
  }

  // Keep the selection valid, and announce warnings and questions.
  let lastQuestions = unansweredQuestions(client.getState()).length;
  const onState = (fromServer: DeckState, event: DeckEvent | null): void => {
    const before = store.getState().deck;
    // The server confirming a mark this client already drew: nothing changes on screen.
    if (event?.type === 'mail-seen' && (before.workers[event.workerId]?.seenSeq ?? -1) >= event.seq) return;
    const state = seenOnArrival(fromServer);
    store.setState({ deck: state });
    // Never between an attached worker's bytes: an escape sequence there could be cut in two.
    const note = event && !attached ? desktop.onEvent(before, state, event) : '';
    if (note) host.write(note);
    const { ui } = store.getState();
    if (ui.selectedId === null || !state.workers[ui.selectedId]) {
      const first = state.order.at(-1) ?? null;
      if (first !== ui.selectedId) setUi(store, { selectedId: first });
    }
    syncSize();
    const lastWarning = state.warnings.at(-1);
    if (lastWarning && lastWarning.id > ui.lastWarningId) {
      setUi(store, { lastWarningId: lastWarning.id, flash: { text: lastWarning.text, level: 'warn', at: Date.now() } });
    }
    const questions = unansweredQuestions(state).length;
    if (questions !== lastQuestions) {
      if (questions > lastQuestions && options.notify.bell && !attached) host.write('\u0007');
      if (options.notify.title && !attached) host.write(deckTitle(questions));
      lastQuestions = questions;
    }
  };
  // Mark the selected worker's mail as seen, once per new message.
  let seenSent = '';
  /** The selected worker's newest mail seq when some of its mail is unread (else null), and the mark sent to the server. */
  const markSeen = (deck: DeckState): { id: string; seq: number } | null => {
    const id = store.getState().ui.selectedId;
    if (!id || attached || unreadCount(deck, id) === 0) return null;
    let seq = 0;
    for (const m of deck.mail) if (m.workerId === id && m.seq > seq) seq = m.seq;
    if (seenSent !== `${id}:${seq}`) {
      seenSent = `${id}:${seq}`;
      void client.execute({ type: 'mark-seen', workerId: id, seq }).catch(() => undefined);
    }
    return { id, seq };
  };
  // Mail for the selected worker is seen as it lands: drawn seen in the frame that shows it,
  // rather than drawn unread and redrawn once the server confirms (a second frame per message).
  function seenOnArrival(deck: DeckState): DeckState {
    const mark = markSeen(deck);
    return mark ? reduce(deck, { type: 'mail-seen', workerId: mark.id, seq: mark.seq }) : deck;
  }
  // Selecting a worker with unread mail marks it too (the server's event redraws it).
  const unsubscribeSeen = store.subscribe((s) => void markSeen(s.deck));
  const unsubscribe = client.subscribe((state, event) => onState(state, event));
  const offClose = client.onClose((reason) =>
    finish({ code: 1, message: `The workerdeck server went away (${reason}). Its workers ended with it; run workerdeck to start it again.` }),
  );

  const onSignal = (signal: NodeJS.Signals) =>
    finish({ code: signal === 'SIGINT' ? 130 : 128 + (signal === 'SIGHUP' ? 1 : 15), message: signal === 'SIGHUP' ? null : detachedMessage() });
  const onFatal = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error && error.stack ? `\nDetails for a bug report:\n${error.stack}` : '';
    finish({ code: 1, message: `workerdeck stopped on an unexpected error: ${message}. Its workers run on in the server.${stack}` });
  };
  const onExit = () => host.restore(options.notify.title);
  const offLastWords = options.exit.onLastWords(onExit);
  // End of input or an error on the terminal (a hung-up terminal reads as EOF): it is gone, as on SIGHUP.
  const onTerminalGone = () => onSignal('SIGHUP');
  host.stdin.once('end', onTerminalGone);
  host.stdin.once('error', onTerminalGone);
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
  host.stdout.on('resize', syncSize);

  const startWarnings = client.getState().warnings.map((w) => w.text);
  const latest = client.getState().warnings.at(-1);
  if (startWarnings.length > 0) {
    setUi(store, {
      lastWarningId: latest?.id ?? 0,
      flash: {
        text: startWarnings.length > 1 ? `${startWarnings.at(-1)} (+${startWarnings.length - 1} more: w)` : (startWarnings[0] ?? ''),
        level: 'warn',
        at: Date.now(),
      },
    });
  }
  host.open(onInput);
  host.write(desktop.modes());
  store.setState({ deck: client.getState() });
  if (!store.getState().ui.selectedId) setUi(store, { selectedId: client.getState().order.at(-1) ?? null });
  syncSize();
  mount();

  const exit = await done;
  unsubscribe();
  unsubscribeSeen();
  offClose();
  host.stdout.off('resize', syncSize);
  host.stdin.off('end', onTerminalGone);
  host.stdin.off('error', onTerminalGone);
  offLastWords();
  for (const [event, handler] of processHandlers) process.off(event, handler);
  return exit;
}

/** The deck's terminal title: `workerdeck`, or `workerdeck: 2 questions` while questions wait. */
function deckTitle(questions: number): string {
  return `\u001b]0;${questions > 0 ? `workerdeck: ${questions} question${questions === 1 ? '' : 's'}` : 'workerdeck'}\u0007`;
}
