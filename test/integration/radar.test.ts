import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReviewService } from '../../src/server/review.js';
import { deckOnRepo, request, trackResources } from '../helpers/deck.js';

const { cleanups, pids } = trackResources();

describe('the conflict radar on a real Deck with real git', () => {
  it('finds pairs that change the same lines and conflicts with the base head, uncommitted files included, and clears them when resolved', async () => {
    const { deck, repo } = await deckOnRepo(cleanups, (r) => {
      writeFileSync(path.join(r.dir, 'a.txt'), 'one\ntwo\nthree\n');
      writeFileSync(path.join(r.dir, 'b.txt'), 'uno\ndos\ntres\n');
      r.git('add', '-A');
      r.git('commit', '-q', '-m', 'files');
    });
    const spawned = [];
    for (const name of ['x', 'y', 'z']) {
      const w = await deck.spawn(request({ agent: 'idle', name, worktree: true }));
      pids.push(w.pid!);
      spawned.push(w);
    }
    const [wx, wy, wz] = spawned;
    // x and y change the same line of a.txt (uncommitted); y and main change the same line of b.txt; z its own file.
    writeFileSync(path.join(wx!.worktree!, 'a.txt'), 'one\nx was here\nthree\n');
    writeFileSync(path.join(wy!.worktree!, 'a.txt'), 'one\ny was here\nthree\n');
    writeFileSync(path.join(wy!.worktree!, 'b.txt'), 'uno\ny says dos\ntres\n');
    writeFileSync(path.join(wz!.worktree!, 'z.txt'), 'z\n');
    writeFileSync(path.join(repo.dir, 'b.txt'), 'uno\nmain says dos\ntres\n');
    repo.git('commit', '-q', '-am', 'main edits b');

    const { radar } = ReviewService.of(deck);
    radar.trigger();
    await radar.idle();
    const conflicts = (id: string) => deck.getState().workers[id]?.conflicts;
    expect(conflicts(wx!.id)).toEqual([{ with: 'y', withId: wy!.id, files: ['a.txt'] }]);
    expect(conflicts(wy!.id)).toEqual([
      { with: 'main', withId: null, files: ['b.txt'] },
      { with: 'x', withId: wx!.id, files: ['a.txt'] },
    ]);
    expect(conflicts(wz!.id)).toEqual([]);

    // x gives up its change: only x is read again, and the pair is gone on both sides.
    writeFileSync(path.join(wx!.worktree!, 'a.txt'), 'one\ntwo\nthree\n');
    radar.trigger([wx!.id]);
    await radar.idle();
    expect(conflicts(wx!.id)).toEqual([]);
    expect(conflicts(wy!.id)).toEqual([{ with: 'main', withId: null, files: ['b.txt'] }]);
  });
});
