import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execaGit } from '../../src/git/git.js';
import { repoInfo } from '../../src/git/worktree.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { ReviewService } from '../../src/server/review.js';
import { makeDeck, request, testPresets, trackResources } from '../helpers/deck.js';
import { tempRepo } from '../helpers/git-repo.js';

const { cleanups, pids } = trackResources();

describe('the conflict radar on a real Deck with real git', () => {
  it('finds pairs that change the same lines and conflicts with the base head, uncommitted files included, and clears them when resolved', async () => {
    const repo = tempRepo();
    writeFileSync(path.join(repo.dir, 'a.txt'), 'one\ntwo\nthree\n');
    writeFileSync(path.join(repo.dir, 'b.txt'), 'uno\ndos\ntres\n');
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'files');
    const info = await repoInfo(execaGit(), repo.dir);
    const { deck } = await makeDeck({
      stateDir: path.join(info!.commonDir, 'workerdeck'),
      cwd: repo.dir,
      spawner: spawnNodePty,
      presets: testPresets({ idle: { command: '/bin/sh', args: ['-c', 'sleep 100'] } }),
      repo: info,
    });
    cleanups.push(async () => {
      await deck.shutdown(500);
      repo.cleanup();
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
