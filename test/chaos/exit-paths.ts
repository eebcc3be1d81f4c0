/**
 * Every way the deck can end, in one table, for the exit-path chaos check.
 *
 * Each row says how to trigger the exit and what must hold afterwards: which
 * process must be gone within the deadline, whether the terminal must be
 * restored, and whether every process of every worker's session must be gone.
 * Today the deck is one process that owns its workers, so every row ends the
 * deck and its workers. When `workerdeck serve` owns the workers, retarget the
 * rows here: `mustEnd` becomes the TUI client for q, Ctrl-C, SIGTERM, SIGHUP
 * and the closed terminal, `workerSessionsEnd` false for them, and new rows
 * signal the server itself.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DeckTerminal } from '../helpers/term.js';

/** What a trigger gets: the running deck, and a dir for files it needs. */
export interface ExitRun {
  deck: DeckTerminal;
  dir: string;
}

export interface ExitPath {
  name: string;
  /** Extra environment for the deck, e.g. a preload that can throw on cue. */
  env?: (dir: string) => Record<string, string>;
  /**
   * Ask the deck to end. Resolves at the moment the exit was asked for (after
   * any confirmation prompt), which is when the deadline starts.
   */
  trigger(run: ExitRun): Promise<void>;
  /** The process that must be gone within the deadline: today the deck (TUI, workers and mailbox in one process). */
  mustEnd: 'deck';
  /** The terminal must be restored: alternate screen left, cursor shown, the deck's modes off. */
  restoresTerminal: boolean;
  /** Every process of every worker's session must be gone (after the restart, when `restart` is set). */
  workerSessionsEnd: boolean;
  /** Start the deck again on the same state dir after the exit; the worker-session check is made after it started. */
  restart: boolean;
  /** Nothing runs to restore the terminal: the check must see the deck's modes still on (which shows it can see them). */
  leavesModesOn?: boolean;
}

/** Quit from the keyboard: `key`, then `y` at "Stop N workers and quit?". */
const quitWith = (key: string) => async ({ deck }: ExitRun) => {
  deck.type(key);
  await deck.waitForText('(y/n)');
  deck.type('y');
};

const signal = (name: NodeJS.Signals) => async ({ deck }: ExitRun) => {
  process.kill(deck.pty.pid, name);
};

/** A preload for the deck process that throws an uncaught error on SIGUSR2: an error from nowhere in particular. */
function throwingPreload(dir: string): Record<string, string> {
  const file = path.join(dir, 'throw-on-usr2.mjs');
  writeFileSync(file, "process.on('SIGUSR2', () => { throw new Error('chaos: injected uncaught error'); });\n");
  return { NODE_OPTIONS: `--import=${file}` };
}

export const EXIT_PATHS: ExitPath[] = [
  { name: 'q', trigger: quitWith('q'), mustEnd: 'deck', restoresTerminal: true, workerSessionsEnd: true, restart: false },
  { name: 'Ctrl-C', trigger: quitWith('\u0003'), mustEnd: 'deck', restoresTerminal: true, workerSessionsEnd: true, restart: false },
  { name: 'SIGTERM', trigger: signal('SIGTERM'), mustEnd: 'deck', restoresTerminal: true, workerSessionsEnd: true, restart: false },
  { name: 'SIGHUP', trigger: signal('SIGHUP'), mustEnd: 'deck', restoresTerminal: true, workerSessionsEnd: true, restart: false },
  {
    name: 'terminal closed',
    // The terminal emulator goes away: its master side closes, the kernel hangs up the deck's terminal.
    trigger: async ({ deck }) => (deck.pty as typeof deck.pty & { destroy(): void }).destroy(),
    mustEnd: 'deck',
    restoresTerminal: false, // there is no terminal left to restore
    workerSessionsEnd: true,
    restart: false,
  },
  {
    name: 'uncaught error',
    env: throwingPreload,
    trigger: signal('SIGUSR2'),
    mustEnd: 'deck',
    restoresTerminal: true,
    workerSessionsEnd: true,
    restart: false,
  },
  {
    name: 'SIGKILL + restart',
    trigger: signal('SIGKILL'),
    mustEnd: 'deck',
    restoresTerminal: false, // nothing runs to restore it
    workerSessionsEnd: true, // once the deck has started again, nothing of the old workers may be left
    restart: true,
    leavesModesOn: true,
  },
];
