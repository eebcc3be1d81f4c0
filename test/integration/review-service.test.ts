import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReviewService } from '../../src/server/review.js';
import { deckOnRepo, request, trackResources } from '../helpers/deck.js';
import { waitFor } from '../helpers/term.js';

const { cleanups, pids } = trackResources();

const repoDeck = () => deckOnRepo(cleanups);

describe('ReviewService on a real Deck', () => {
  it('refuses to clean up a running worker, and a worker whose worktree and branch are gone only leaves the list', async () => {
    const { deck, repo } = await repoDeck();
    const review = ReviewService.of(deck);
    const w = await deck.spawn(request({ agent: 'idle', name: 'gone', worktree: true }));
    pids.push(w.pid!);
    await expect(review.cleanup(w.id, true)).rejects.toThrow('gone is still running; stop it first (x).');
    await deck.stop(w.id, 500);
    repo.git('worktree', 'remove', '--force', w.worktree!);
    repo.git('branch', '-D', w.branch!);
    expect(await review.cleanup(w.id, false)).toBeNull();
    expect(deck.getState().workers[w.id]).toBeUndefined();
  });

  it('merges with the completion summary as the commit message of the uncommitted files, and the diffstat follows', async () => {
    const { deck, repo } = await repoDeck();
    const review = ReviewService.of(deck);
    const w = await deck.spawn(request({ agent: 'idle', name: 'sum', task: 'write notes', worktree: true }));
    pids.push(w.pid!);
    writeFileSync(path.join(w.worktree!, 'notes.txt'), 'notes\n');
    deck.receiveMail({ id: 'm1', seq: deck.nextSeq(), workerId: w.id, workerName: 'sum', type: 'completion', content: 'wrote the notes', timestamp: Date.now(), inReplyTo: null });
    const preview = await review.mergePreview(w.id, undefined);
    expect(preview).toMatchObject({ strategy: 'merge', uncommitted: ['notes.txt'], refusal: null });
    const result = await review.merge(w.id, 'squash', true);
    expect(result).toMatchObject({ committedUncommitted: true, commits: 1, target: 'main' });
    expect(repo.git('log', '-1', '--format=%s', w.branch!).trim()).toBe('wrote the notes');
    expect(repo.git('log', '-1', '--format=%B', 'main')).toContain('wrote the notes');
    const diff = await review.diff(w.id);
    expect(diff.files.map((f) => f.path)).toEqual(['notes.txt']);
    expect(deck.getState().workers[w.id]?.diffstat).toEqual({ files: 1, added: 1, deleted: 0 });
  });

  it('validates a completion that arrives in a batch with other mail (a backlog), as one that came alone', async () => {
    const { deck } = await repoDeck();
    ReviewService.of(deck, { validateFor: () => ({ command: 'true', timeout: 60, retries: 0 }) });
    const w = await deck.spawn(request({ agent: 'idle', name: 'batched', worktree: true }));
    pids.push(w.pid!);
    const message = (id: string, type: 'progress' | 'completion', content: string) => ({
      id,
      seq: deck.nextSeq(),
      workerId: w.id,
      workerName: 'batched',
      type,
      content,
      timestamp: Date.now(),
      inReplyTo: null,
    });
    deck.receiveMailBatch([message('b1', 'progress', 'half way'), message('b2', 'completion', 'done')]);
    await waitFor(() => deck.getState().workers[w.id]?.validation?.status === 'passed', 'the validation of the batched completion', 15_000);
  });
});
