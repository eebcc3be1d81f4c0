/**
 * The conflict radar: after each event that can change a worker's branch
 * (completion, progress or error mail, a turn's end reported by a hook, its
 * exit, a merge into the base), it finds which workers' changes overlap.
 * First the changed files (uncommitted included, through a snapshot commit),
 * then `git merge-tree --write-tree` for each pair that shares a file, and
 * each worker against its base branch's head. Results that did not change
 * are cached by the commits they were computed from, so one event costs the
 * triggering worker's snapshot plus the merges of its own pairs. Findings go
 * to clients as `worker-conflicts` events. Nothing polls.
 */
import { existsSync } from 'node:fs';
import type { Conflict } from '../core/review.js';
import type { Deck } from '../deck.js';
import { conflictsBetween, workState, type WorkState } from '../git/radar.js';
import { resolveCommit } from '../git/review.js';

/** Waits after a triggering event before the radar runs, in ms (a burst of events costs one run). */
const RADAR_SETTLE_MS = 150;

export class ConflictRadar {
  /** Each worker's changes as last read, with the base they were read against. */
  private readonly states = new Map<string, WorkState & { base: string }>();
  /** Workers whose changes must be read again at the next run. */
  private readonly stale = new Set<string>();
  /** merge-tree results by the two commits merged. */
  private readonly merges = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deck: Deck) {}

  /**
   * Read `ids` again (all workers when omitted, e.g. after a merge moved a
   * base) and recompute the conflicts soon; coalesced with other calls.
   */
  trigger(ids?: string[]): void {
    for (const id of ids ?? Object.keys(this.deck.getState().workers)) this.stale.add(id);
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.run()
        .catch(() => undefined)
        .finally(() => {
          this.running = null;
          if (this.again) {
            this.again = false;
            this.trigger([]);
          }
        });
    }, RADAR_SETTLE_MS);
    this.timer.unref();
  }

  /** Resolves when no run is scheduled or under way (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.timer || this.running) await (this.running ?? new Promise((r) => setTimeout(r, RADAR_SETTLE_MS)));
  }

  private async merged(cwd: string, a: string, b: string): Promise<string[]> {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    const cached = this.merges.get(key);
    if (cached) return cached;
    const files = await conflictsBetween(this.deck.git, cwd, a, b);
    this.merges.set(key, files);
    return files;
  }

  private async run(): Promise<void> {
    const git = this.deck.git;
    const workers = Object.values(this.deck.getState().workers).filter(
      (w) => w.worktree !== null && w.base !== null && existsSync(w.worktree),
    );
    const stale = new Set(this.stale);
    this.stale.clear();
    const present = new Set(workers.map((w) => w.id));
    for (const id of this.states.keys()) if (!present.has(id)) this.states.delete(id);
    for (const w of workers) {
      const state = this.states.get(w.id);
      if (state && !stale.has(w.id) && state.base === w.base) continue;
      try {
        this.states.set(w.id, { ...(await workState(git, w.worktree!, w.base!)), base: w.base! });
      } catch {
        this.states.delete(w.id);
      }
    }
    const found = new Map<string, Conflict[]>(workers.map((w) => [w.id, []]));
    const heads = new Map<string, string | null>();
    for (const w of workers) {
      const state = this.states.get(w.id);
      if (!state || state.files.length === 0) continue;
      if (!heads.has(state.base)) heads.set(state.base, await resolveCommit(git, w.worktree!, `refs/heads/${state.base}`));
      const head = heads.get(state.base);
      if (!head || head === state.mergeBase) continue;
      const files = await this.merged(w.worktree!, head, state.commit);
      if (files.length > 0) found.get(w.id)?.push({ with: state.base, withId: null, files });
    }
    for (let i = 0; i < workers.length; i++) {
      const a = workers[i]!;
      const sa = this.states.get(a.id);
      if (!sa) continue;
      const filesA = new Set(sa.files);
      for (let j = i + 1; j < workers.length; j++) {
        const b = workers[j]!;
        const sb = this.states.get(b.id);
        if (!sb || !sb.files.some((f) => filesA.has(f))) continue;
        const files = await this.merged(a.worktree!, sa.commit, sb.commit);
        if (files.length === 0) continue;
        found.get(a.id)?.push({ with: b.name, withId: b.id, files });
        found.get(b.id)?.push({ with: a.name, withId: a.id, files });
      }
    }
    const now = this.deck.getState().workers;
    for (const [id, conflicts] of found) {
      const worker = now[id];
      if (!worker) continue;
      if (JSON.stringify(worker.conflicts) !== JSON.stringify(conflicts)) this.deck.dispatch({ type: 'worker-conflicts', id, conflicts });
    }
    // The cache only needs what the current snapshots can ask for.
    if (this.merges.size > 4096) this.merges.clear();
  }
}
