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

/** What a trigger gets: the running TUI, its server's pid, and a dir for files it needs. */
export interface ExitRun {
  deck: DeckTerminal;
  server: number;
  dir: string;
}

export interface ExitPath {
  name: string;
  /** Extra environment for the TUI (and the server it starts), e.g. a preload that can throw on cue. */
  env?: (dir: string) => Record<string, string>;
  /**
   * Ask for the exit. Resolves at the moment the exit was asked for (after
   * any confirmation prompt), which is when the deadline starts.
   */
  trigger(run: ExitRun): Promise<void>;
  /** The process that must be gone within the deadline: the TUI client, or the server (which owns the workers). */
  mustEnd: 'client' | 'server';
  /** The terminal must be restored: alternate screen left, cursor shown, the deck's modes off. */
  restoresTerminal: boolean;
  /**
   * `gone`: every process of every worker's session must be gone (after the
   * restart, when `restart` is set); `live`: the workers run on in the server.
   */
  workers: 'gone' | 'live';
  /** Start the TUI again on the same state dir after the exit; the worker check is made after it started. */
  restart: boolean;
  /** Nothing runs to restore the terminal: the check must see the deck's modes still on (which shows it can see them). */
  leavesModesOn?: boolean;
}

/** Keys, then `y` when a confirmation asks. */
const keys = (key: string, confirm: boolean) => async ({ deck }: ExitRun) => {
  deck.type(key);
  if (!confirm) return;
  await deck.waitForText('(y/n)');
  deck.type('y');
};

const signalClient = (name: NodeJS.Signals) => async ({ deck }: ExitRun) => {
  process.kill(deck.pty.pid, name);
};

const signalServer = (name: NodeJS.Signals) => async ({ server }: ExitRun) => {
  process.kill(server, name);
};

/** A preload that throws an uncaught error on SIGUSR2, in the TUI or in the server only: an error from nowhere in particular. */
function throwingPreload(where: 'client' | 'server') {
  return (dir: string): Record<string, string> => {
    const file = path.join(dir, `throw-on-usr2-${where}.mjs`);
    const test = where === 'server' ? "process.argv.includes('serve')" : "!process.argv.includes('serve')";
    writeFileSync(file, `if (${test}) process.on('SIGUSR2', () => { throw new Error('chaos: injected uncaught error'); });\n`);
    return { NODE_OPTIONS: `--import=${file}` };
  };
}

export const EXIT_PATHS: ExitPath[] = [
  // The TUI's ways out: it goes, the workers run on in the server.
  { name: 'q', trigger: keys('q', false), mustEnd: 'client', restoresTerminal: true, workers: 'live', restart: false },
  { name: 'Ctrl-C', trigger: keys('\u0003', false), mustEnd: 'client', restoresTerminal: true, workers: 'live', restart: false },
  { name: 'SIGTERM to the TUI', trigger: signalClient('SIGTERM'), mustEnd: 'client', restoresTerminal: true, workers: 'live', restart: false },
  { name: 'SIGHUP to the TUI', trigger: signalClient('SIGHUP'), mustEnd: 'client', restoresTerminal: true, workers: 'live', restart: false },
  {
    name: 'terminal closed',
    // The terminal emulator goes away: its master side closes, the kernel hangs up the TUI's terminal.
    trigger: async ({ deck }) => (deck.pty as typeof deck.pty & { destroy(): void }).destroy(),
    mustEnd: 'client',
    restoresTerminal: false, // there is no terminal left to restore
    workers: 'live',
    restart: false,
  },
  { name: 'uncaught error in the TUI', env: throwingPreload('client'), trigger: signalClient('SIGUSR2'), mustEnd: 'client', restoresTerminal: true, workers: 'live', restart: false },
  // The server's ways out: it goes, and every process of every worker's session with it.
  { name: 'Q, y (kill-server)', trigger: keys('Q', true), mustEnd: 'server', restoresTerminal: true, workers: 'gone', restart: false },
  { name: 'SIGTERM to the server', trigger: signalServer('SIGTERM'), mustEnd: 'server', restoresTerminal: false, workers: 'gone', restart: false },
  { name: 'uncaught error in the server', env: throwingPreload('server'), trigger: signalServer('SIGUSR2'), mustEnd: 'server', restoresTerminal: false, workers: 'gone', restart: false },
  {
    name: 'SIGKILL to the server + restart',
    trigger: signalServer('SIGKILL'),
    mustEnd: 'server',
    restoresTerminal: false,
    workers: 'gone', // once a server has started again, nothing of the old workers may be left
    restart: true,
  },
];
