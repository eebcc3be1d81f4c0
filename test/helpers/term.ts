import { spawn, type IPty } from 'node-pty';
import xtermHeadless from '@xterm/headless';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const { Terminal } = xtermHeadless;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'workerdeck.js');

/**
 * Wait until `check` returns a truthy value, polling every `intervalMs`.
 * @throws Error with `what` and, if given, `describe()` when `timeoutMs` passes
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  describe?: () => string,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n--- screen ---\n${describe()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The built `bin/workerdeck.js` in a real PTY, read back through a headless
 * xterm: what a user at a terminal of `cols`×`rows` would see.
 */
export class DeckTerminal {
  readonly pty: IPty;
  readonly term: InstanceType<typeof Terminal>;
  /** Every byte the deck wrote, for checks on escape sequences. */
  raw = '';
  exit: { exitCode: number; signal?: number } | null = null;
  private pendingWrites = 0;
  private readonly parsedListeners = new Set<() => void>();

  constructor(args: string[], options: { cwd: string; env?: Record<string, string>; cols?: number; rows?: number }) {
    const cols = options.cols ?? 120;
    const rows = options.rows ?? 40;
    this.term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WORKERDECK_')) env[k] = v;
    this.pty = spawn(process.execPath, [BIN, ...args], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: options.cwd,
      env: { ...env, TERM: 'xterm-256color', SHELL: '/bin/bash', ...(options.env ?? {}) },
    });
    this.pty.onData((d) => {
      this.raw += d;
      this.pendingWrites++;
      this.term.write(d, () => {
        this.pendingWrites--;
        for (const l of this.parsedListeners) l();
      });
    });
    this.pty.onExit((e) => (this.exit = e));
  }

  /** Call `listener` each time a chunk of the deck's output has been parsed into the screen; returns an unsubscribe. */
  onParsed(listener: () => void): () => void {
    this.parsedListeners.add(listener);
    return () => this.parsedListeners.delete(listener);
  }

  /** The screen as plain text rows. */
  screen(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** Wait until the screen contains `text` (a string or a pattern). */
  async waitForText(text: string | RegExp, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      () => this.pendingWrites === 0 && (typeof text === 'string' ? this.screen().includes(text) : text.test(this.screen())),
      `screen text ${String(text)}`,
      timeoutMs,
      () => this.screen(),
    );
  }

  /** Type raw input, as a terminal would send it. */
  type(data: string): void {
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
    this.term.resize(cols, rows);
  }

  /** Wait for the deck process to exit. */
  async waitForExit(timeoutMs = 20_000): Promise<{ exitCode: number; signal?: number }> {
    const exit = await waitFor(() => this.exit, 'the deck to exit', timeoutMs, () => this.screen());
    if (!exit) throw new Error('the deck did not exit');
    return exit;
  }

  /** Kill the deck if it is still running (test cleanup). */
  kill(): void {
    if (!this.exit) {
      try {
        this.pty.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** True when a process with this pid exists (the deck's own check). */
export { processExists as processAlive } from '../../src/registry/pid.js';
