/**
 * The spawn queue under `maxWorkers`, as the state shows it. Pure: no I/O.
 * A queued worker is a record in status `queued` whose `queue.rank` orders it;
 * the server starts the lowest rank when a slot frees (src/server/queue.ts).
 */
import type { DeckState } from './deck-state.js';
import type { WorkerRecord } from './worker.js';

/** The queued workers' ids, first to start first. */
export function queuedIds(state: Pick<DeckState, 'workers' | 'order'>): string[] {
  return state.order
    .flatMap((id) => {
      const w = state.workers[id];
      return w && w.status === 'queued' ? [w] : [];
    })
    .sort((a, b) => (a.queue?.rank ?? 0) - (b.queue?.rank ?? 0))
    .map((w) => w.id);
}

/** A queued worker's place in the queue, 1 for the next to start; null when it is not queued. */
export function queuePosition(state: Pick<DeckState, 'workers' | 'order'>, id: string): number | null {
  const i = queuedIds(state).indexOf(id);
  return i < 0 ? null : i + 1;
}

/**
 * The queue after moving `id` by `by` places (negative: towards the front),
 * clamped to the queue's ends; unchanged when `id` is not queued.
 */
export function moveInQueue(state: Pick<DeckState, 'workers' | 'order'>, id: string, by: number): string[] {
  const ids = queuedIds(state);
  const from = ids.indexOf(id);
  if (from < 0) return ids;
  const to = Math.max(0, Math.min(ids.length - 1, from + by));
  ids.splice(from, 1);
  ids.splice(to, 0, id);
  return ids;
}

/** The status word with its place for a queued worker (`queued #2`), else `label`. */
export function withQueuePosition(state: Pick<DeckState, 'workers' | 'order'>, worker: WorkerRecord, label: string): string {
  const position = worker.status === 'queued' ? queuePosition(state, worker.id) : null;
  return position === null ? label : `queued #${position}`;
}
