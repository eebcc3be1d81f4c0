/**
 * The spawn queue: with `maxWorkers` set, a spawn beyond it is queued
 * (`Deck.enqueue`, status `queued`) and started (`Deck.startQueued`) when a
 * slot frees, first in the queue first. Every spawn of every client (the
 * TUI's form, `workerdeck spawn`) comes through `spawn`.
 */
import { queuedIds } from '../core/queue.js';
import type { WorkerRecord } from '../core/worker.js';
import type { Deck, SpawnRequest } from '../deck.js';

const queues = new WeakMap<Deck, SpawnQueue>();

export class SpawnQueue {
  /** Starts under way (a spawn or a queued start), not yet in the deck's running ids. */
  private starting = 0;
  /** Queued workers being started. */
  private readonly startingIds = new Set<string>();

  private constructor(
    private readonly deck: Deck,
    /** Most workers running at once; 0 = no limit. */
    private readonly maxWorkers: number,
  ) {
    deck.subscribe((_state, event) => {
      if (event.type === 'worker-exited' || event.type === 'restored' || event.type === 'queue-order') this.pump();
    });
  }

  /**
   * The deck's queue, made on first use with `maxWorkers` (0 = no limit;
   * later calls return the same queue and ignore it).
   */
  static of(deck: Deck, maxWorkers = 0): SpawnQueue {
    let queue = queues.get(deck);
    if (!queue) {
      queue = new SpawnQueue(deck, maxWorkers);
      queues.set(deck, queue);
    }
    return queue;
  }

  /** Workers running or starting, counted against `maxWorkers`. */
  private busy(): number {
    return this.deck.runningIds().length + this.starting + this.startingIds.size;
  }

  private hasSlot(): boolean {
    return this.maxWorkers === 0 || this.busy() < this.maxWorkers;
  }

  /**
   * Start the worker now when a slot is free and nobody waits before it,
   * else queue it.
   * @returns its record (status `queued` when it was queued)
   * @throws SpawnError as `Deck.spawn` does
   */
  async spawn(request: SpawnRequest): Promise<WorkerRecord> {
    if (!this.hasSlot() || queuedIds(this.deck.getState()).some((id) => !this.startingIds.has(id))) return this.deck.enqueue(request);
    this.starting++;
    try {
      return await this.deck.spawn(request);
    } finally {
      this.starting--;
      this.pump();
    }
  }

  /** Start queued workers while slots are free (after an exit, a restart, a reorder). */
  pump(): void {
    while (this.hasSlot()) {
      const next = queuedIds(this.deck.getState()).find((id) => !this.startingIds.has(id));
      if (!next) return;
      this.startingIds.add(next);
      void this.deck.startQueued(next).finally(() => {
        this.startingIds.delete(next);
        // Still queued: the deck is closing and keeps its queue for the next server.
        if (this.deck.getState().workers[next]?.status !== 'queued') this.pump();
      });
    }
  }
}
