/** Every exit path ends the process within this many ms of its start, whatever is still pending. */
export const EXIT_BUDGET_MS = 2000;
/**
 * On the way out, workers get SIGTERM and SIGHUP, and SIGKILL after this many
 * ms. It leaves about 1 s of the budget for recording their end (the mirror,
 * the transcript, state.json with its fsync) on a loaded machine.
 */
export const EXIT_STOP_GRACE_MS = 700;
/** The watchdog fires this many ms before the budget ends: time for its synchronous kills and the exit. */
const WATCHDOG_RESERVE_MS = 250;

export interface ExitGuardOptions {
  /** ms from `begin` to the end of the process; default EXIT_BUDGET_MS. */
  budgetMs?: number;
  /** Ends the process; default `process.exit`. */
  exit?: (code: number) => void;
  now?: () => number;
}

/**
 * The way out of a process that owns workers (the deck today, the server
 * next). `begin(code)` starts the exit budget and arms a watchdog: if the
 * best-effort cleanup has not ended the process when the budget is nearly
 * spent, the watchdog runs the last words (synchronous steps: SIGKILL every
 * worker session, restore the terminal) and exits with that code. Cleanup
 * steps are awaited through `within`, so none can hold the exit; the end of
 * the cleanup calls `exitNow`, which runs the last words too (they must be
 * idempotent) and exits at once: a hung-up terminal's handles or a timer
 * cannot keep the process alive.
 */
export class ExitGuard {
  private startedAt: number | null = null;
  private code = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly lastWords = new Set<() => void>();
  private readonly budgetMs: number;
  private readonly exit: (code: number) => void;
  private readonly now: () => number;

  constructor(options: ExitGuardOptions = {}) {
    this.budgetMs = options.budgetMs ?? EXIT_BUDGET_MS;
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.now = options.now ?? Date.now;
  }

  /** True once an exit has begun. */
  get begun(): boolean {
    return this.startedAt !== null;
  }

  /** Start the exit with `code` (the first call's code wins) and arm the watchdog. Later calls do nothing. */
  begin(code: number): void {
    if (this.startedAt !== null) return;
    this.startedAt = this.now();
    this.code = code;
    // Kept referenced: whatever else is pending, the watchdog must fire.
    this.watchdog = setTimeout(() => this.exitNow(), Math.max(0, this.budgetMs - WATCHDOG_RESERVE_MS));
  }

  /** ms until the watchdog fires; Infinity before `begin`. */
  remainingMs(): number {
    if (this.startedAt === null) return Infinity;
    return Math.max(0, this.startedAt + this.budgetMs - WATCHDOG_RESERVE_MS - this.now());
  }

  /**
   * Add a synchronous step for the end (the watchdog and `exitNow` run every
   * step, each at most once per call, errors ignored). It must not wait on
   * anything, a terminal least of all.
   * @returns a function that removes the step
   */
  onLastWords(step: () => void): () => void {
    this.lastWords.add(step);
    return () => this.lastWords.delete(step);
  }

  /**
   * Wait for a cleanup step, at most `limitMs` (default: until the watchdog).
   * Never rejects.
   * @returns true when the step settled in time
   */
  async within(work: Promise<unknown>, limitMs = this.remainingMs()): Promise<boolean> {
    let timer: NodeJS.Timeout | null = null;
    const late = new Promise<boolean>((resolve) => {
      if (Number.isFinite(limitMs)) timer = setTimeout(() => resolve(false), limitMs);
    });
    try {
      return await Promise.race([work.then(() => true, () => true), late]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Run the last words and end the process now, with `code` or the code given to `begin`. */
  exitNow(code: number = this.code): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    for (const step of this.lastWords) {
      try {
        step();
      } catch {
        // The exit goes on whatever a step does.
      }
    }
    this.exit(code);
  }
}
