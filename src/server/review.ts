/**
 * The server's side of review, merge and cleanup: it runs the git work of
 * src/git/ for the commands `diff`, `merge-preview`, `merge`,
 * `cleanup-preview`, `cleanup`, `restore` and `prune`, and keeps each
 * worker's diffstat up to date after the events that can change its branch
 * (completion, progress or error mail, its exit or start, a merge). Nothing
 * polls git; results go to clients as command replies and
 * `worker-diffstat` events.
 */
import { existsSync } from 'node:fs';
import { eventMail, type DeckEvent } from '../core/deck-state.js';
import type { CleanupPreview, CleanupResult, MergePreview, MergeResult, MergeStrategy, PruneItem, PushResult, RestoreResult, Validation, WorkerDiff } from '../core/review.js';
import type { WorkerRecord } from '../core/worker.js';
import { hasLiveProcess } from '../core/worker.js';
import type { Deck } from '../deck.js';
import { cleanupPreview, prune, removeWork, restoreWork } from '../git/cleanup.js';
import { merge, mergePreview, type MergeSubject } from '../git/merge.js';
import { diffStat, resolveCommit, workerDiff } from '../git/review.js';
import { ConflictRadar } from './radar.js';
import { Validator } from './validate.js';
import type { ValidateSpec } from '../agents/config.js';
import type { CommandRunner } from '../agents/preset.js';
import { execaRunner } from '../agents/session.js';
import { pushAndOpenPr } from '../git/push.js';

export interface ReviewOptions {
  /** The strategy `m` uses when the command names none (config `mergeStrategy`). */
  strategy: MergeStrategy;
  /** The validate command for a preset (config `validate`), or null. */
  validateFor: (agent: string) => ValidateSpec | null;
  /** The environment validate commands run with (the user's). */
  env: NodeJS.ProcessEnv;
  /** Runs gh (`P`); default: execa. */
  run: CommandRunner;
  now: () => number;
}

/** Waits after a triggering event before the diffstat is computed, in ms (a burst of events costs one run). */
const DIFFSTAT_SETTLE_MS = 150;

/** One ReviewService per Deck: `ReviewService.of(deck)`. */
export class ReviewService {
  private static readonly services = new WeakMap<Deck, ReviewService>();

  /**
   * The deck's review service, made on first use (with `options`, else the
   * default strategy `merge`); it subscribes to the deck's events at once.
   */
  static of(deck: Deck, options?: Partial<ReviewOptions>): ReviewService {
    let service = ReviewService.services.get(deck);
    if (!service) {
      service = new ReviewService(deck, {
        strategy: options?.strategy ?? 'merge',
        validateFor: options?.validateFor ?? (() => null),
        env: options?.env ?? process.env,
        run: options?.run ?? execaRunner(),
        now: options?.now ?? Date.now,
      });
      ReviewService.services.set(deck, service);
    }
    return service;
  }

  /** Workers with a merge or cleanup under way: a second one is refused. */
  private readonly busy = new Set<string>();
  /** Diffstat runs: under way, and asked again while under way. */
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Which workers' changes conflict; it runs after the same events as the diffstats. */
  readonly radar: ConflictRadar;
  /** Runs the config's validate command on completion and on `v`. */
  readonly validator: Validator;

  private constructor(
    private readonly deck: Deck,
    private readonly options: ReviewOptions,
  ) {
    this.radar = new ConflictRadar(deck);
    this.validator = new Validator(deck, { specFor: options.validateFor, env: options.env, now: options.now });
    deck.subscribe((_state, event) => this.onEvent(event));
  }

  private onEvent(event: DeckEvent): void {
    switch (event.type) {
      case 'mail-received':
      case 'mail-batch':
        // One message or a batch of them (a backlog): each as if it came alone.
        for (const message of eventMail(event)) {
          if (!this.deck.getState().workers[message.workerId]) continue;
          // A question or a hook's turn signal can follow changes too: the radar looks; the diffstat waits for a report.
          this.radar.trigger([message.workerId]);
          if (message.type !== 'question' && message.type !== 'needs-input') this.refresh(message.workerId);
          if (message.type === 'completion') this.validator.onCompleted(message.workerId);
        }
        return;
      case 'worker-exited':
      case 'worker-started':
        this.radar.trigger([event.id]);
        this.refresh(event.id);
        return;
      case 'worker-removed':
        this.radar.trigger([]);
        return;
      default:
        return;
    }
  }

  /**
   * Compute the worker's diffstat again soon (coalesced per worker) and
   * dispatch `worker-diffstat` when it changed. Errors (a worktree removed
   * by hand) leave the last figure.
   */
  refresh(id: string): void {
    const worker = this.deck.getState().workers[id];
    if (!worker?.worktree || !worker.base) return;
    if (this.running.has(id)) {
      this.again.add(id);
      return;
    }
    if (this.timers.has(id)) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void this.computeStat(id);
    }, DIFFSTAT_SETTLE_MS);
    timer.unref();
    this.timers.set(id, timer);
  }

  private async computeStat(id: string): Promise<void> {
    this.running.add(id);
    try {
      const worker = this.deck.getState().workers[id];
      if (!worker?.worktree || !worker.base || !existsSync(worker.worktree)) return;
      const stat = await diffStat(this.deck.git, worker.worktree, worker.base).catch(() => undefined);
      const now = this.deck.getState().workers[id];
      if (stat === undefined || !now) return;
      if (JSON.stringify(now.diffstat ?? null) !== JSON.stringify(stat)) this.deck.dispatch({ type: 'worker-diffstat', id, diffstat: stat });
    } finally {
      this.running.delete(id);
      if (this.again.delete(id)) this.refresh(id);
    }
  }

  private worker(id: string): WorkerRecord {
    const worker = this.deck.findWorker(id);
    if (!worker) throw new Error(`No worker "${id}" in this deck. Run workerdeck list to see the workers.`);
    return worker;
  }

  private subject(worker: WorkerRecord): MergeSubject {
    const repoTop = worker.repo ?? this.deck.repo?.mainTop;
    if (!worker.worktree || !worker.branch || !worker.base || !repoTop) {
      throw new Error(`${worker.name} has no worktree and branch of its own: there is nothing to review or merge.`);
    }
    if (!existsSync(worker.worktree)) throw new Error(`The worktree of ${worker.name} (${worker.worktree}) is gone. workerdeck prune clears the entry.`);
    return { repoTop, worktree: worker.worktree, branch: worker.branch, base: worker.base };
  }

  private async exclusive<T>(worker: WorkerRecord, run: () => Promise<T>): Promise<T> {
    if (this.busy.has(worker.id)) throw new Error(`A merge or cleanup of ${worker.name} is already under way.`);
    this.busy.add(worker.id);
    try {
      return await run();
    } finally {
      this.busy.delete(worker.id);
    }
  }

  /** `diff`: the worker's files and hunks. @throws Error when it has no worktree, or git fails */
  async diff(id: string): Promise<WorkerDiff> {
    const worker = this.worker(id);
    const diff = await workerDiff(this.deck.git, this.subject(worker).worktree, worker.base ?? '');
    if (JSON.stringify(worker.diffstat ?? null) !== JSON.stringify(diff.stat)) this.deck.dispatch({ type: 'worker-diffstat', id: worker.id, diffstat: diff.stat });
    return diff;
  }

  /** `merge-preview`. */
  async mergePreview(id: string, strategy: MergeStrategy | undefined): Promise<MergePreview> {
    return mergePreview(this.deck.git, this.subject(this.worker(id)), strategy ?? this.options.strategy);
  }

  /**
   * `merge`: uncommitted files are committed first with the worker's
   * completion summary as the message (else its task) when `commitUncommitted`.
   * @throws Error (MergeError) with the refusal: nothing was changed
   */
  async merge(id: string, strategy: MergeStrategy | undefined, commitUncommitted: boolean): Promise<MergeResult> {
    const worker = this.worker(id);
    const subject = this.subject(worker);
    const result = await this.exclusive(worker, () =>
      merge(this.deck.git, subject, strategy ?? this.options.strategy, { commitUncommitted, message: this.summary(worker) }),
    );
    // The base moved: the radar compares every worker with its new head (their own changes stay cached).
    this.refresh(worker.id);
    this.radar.trigger([worker.id]);
    return result;
  }

  /** The worker's newest completion summary, else its task, as a commit message. */
  private summary(worker: WorkerRecord): string {
    const done = this.deck
      .getState()
      .mail.filter((m) => m.workerId === worker.id && m.type === 'completion')
      .at(-1);
    const text = (done?.content ?? worker.task).trim();
    return text || `Work of ${worker.name}`;
  }

  /** `cleanup-preview`: null for a worker without a worktree of its own (removing it loses nothing). */
  async cleanupPreview(id: string): Promise<CleanupPreview | null> {
    const worker = this.worker(id);
    if (!worker.worktree || !worker.branch) return null;
    const subject = this.subjectLoose(worker);
    return cleanupPreview(this.deck.git, subject);
  }

  /** A worker's work even when its worktree is gone (the branch may remain). */
  private subjectLoose(worker: WorkerRecord): MergeSubject {
    const repoTop = worker.repo ?? this.deck.repo?.mainTop;
    if (!worker.worktree || !worker.branch || !repoTop) throw new Error(`${worker.name} has no worktree of its own.`);
    return { repoTop, worktree: worker.worktree, branch: worker.branch, base: worker.base ?? this.deck.repo?.branch ?? 'main' };
  }

  /**
   * `cleanup`: remove a worker that is not running from the list, and its
   * worktree and branch, after keeping them under refs/workerdeck/trash/<branch>.
   * @throws Error when it runs, or when it would lose work and `confirmLoss` is false
   */
  async cleanup(id: string, confirmLoss: boolean): Promise<CleanupResult | null> {
    const worker = this.worker(id);
    if (this.deck.isRunning(worker.id) || hasLiveProcess(worker)) throw new Error(`${worker.name} is still running; stop it first (x).`);
    if (!worker.worktree || !worker.branch) {
      this.deck.remove(worker.id);
      return null;
    }
    const subject = this.subjectLoose(worker);
    // Its worktree and branch were removed by hand: nothing is left to keep, it only leaves the list.
    if (!existsSync(subject.worktree) && !(await resolveCommit(this.deck.git, subject.repoTop, `refs/heads/${subject.branch}`))) {
      this.deck.remove(worker.id);
      return null;
    }
    const result = await this.exclusive(worker, () => removeWork(this.deck.git, subject, confirmLoss, this.options.now()));
    this.deck.remove(worker.id);
    return result;
  }

  /** `push`: the branch to its remote, and a pull request with the task as title and the completion summary as body (gh). */
  async push(id: string): Promise<PushResult> {
    const worker = this.worker(id);
    const subject = this.subject(worker);
    const title = (worker.task.split('\n')[0] ?? '').trim().slice(0, 200) || `Work of ${worker.name}`;
    return this.exclusive(worker, () =>
      pushAndOpenPr(this.deck.git, this.options.run, { ...subject, title, body: this.summary(worker), env: this.options.env }),
    );
  }

  /** `validate`: run the validate command now; the verdict comes as events. */
  async validate(id: string): Promise<Validation> {
    return this.validator.start(this.worker(id).id);
  }

  /** `restore`: the branch and worktree back from the trash. */
  async restore(key: string): Promise<RestoreResult> {
    const top = this.deck.repo?.mainTop;
    if (!top) throw new Error('This deck is not in a git repository; there is no trash to restore from.');
    return restoreWork(this.deck.git, top, key);
  }

  /** `prune`: orphans removed when safe, the rest kept with the reason. */
  async prune(): Promise<PruneItem[]> {
    const repo = this.deck.repo;
    if (!repo) throw new Error('This deck is not in a git repository; there is nothing to prune.');
    const workers = Object.values(this.deck.getState().workers).map((w) => ({
      id: w.id,
      name: w.name,
      worktree: w.worktree,
      branch: w.branch,
      live: this.deck.isRunning(w.id) || hasLiveProcess(w),
    }));
    const head = await this.deck.git.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], repo.mainTop);
    const base = (head.exitCode === 0 ? head.stdout.trim() : '') || repo.branch || 'main';
    return prune(this.deck.git, repo.mainTop, base, workers, async (id) => this.deck.remove(id), this.options.now());
  }
}
