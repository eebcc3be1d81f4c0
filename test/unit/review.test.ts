import { describe, expect, it } from 'vitest';
import { emptyDeckState, reduce } from '../../src/core/deck-state.js';
import { describeConflicts, describeLoss, formatDiffStat, listFiles, parseNameStatus, parseNumstat, parsePatch, trashRef } from '../../src/core/review.js';
import { newWorkerRecord } from '../../src/core/worker.js';

describe('the pure side of review', () => {
  it('splits a patch into file sections with their hunks and counts', () => {
    const patch = [
      'diff --git a/a.txt b/a.txt',
      'index 1..2 100644',
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -1,2 +1,2 @@',
      ' same',
      '-old',
      '+new',
      '+--- a line that looks like a header',
      'diff --git a/b.bin b/b.bin',
      'new file mode 100644',
      'Binary files /dev/null and b/b.bin differ',
      'diff --git a/m.sh b/m.sh',
      'old mode 100644',
      'new mode 100755',
      '',
    ].join('\n');
    expect(parsePatch(patch)).toEqual([
      { lines: ['@@ -1,2 +1,2 @@', ' same', '-old', '+new', '+--- a line that looks like a header'], added: 2, deleted: 1, binary: false },
      { lines: [], added: 0, deleted: 0, binary: true },
      { lines: [], added: 0, deleted: 0, binary: false },
    ]);
    expect(parsePatch('')).toEqual([]);
  });

  it('reads -z name-status and numstat output, renames included', () => {
    expect(parseNameStatus('M\0a.txt\0R087\0old name.txt\0new name.txt\0A\0b\0D\0c\0T\0d\0')).toEqual([
      { status: 'modified', path: 'a.txt', oldPath: null },
      { status: 'renamed', path: 'new name.txt', oldPath: 'old name.txt' },
      { status: 'added', path: 'b', oldPath: null },
      { status: 'deleted', path: 'c', oldPath: null },
      { status: 'type-changed', path: 'd', oldPath: null },
    ]);
    expect(parseNumstat('3\t1\ta.txt\0-\t-\tb.bin\0' + '0\t0\t\0old\0new\0')).toEqual({ files: 3, added: 3, deleted: 1 });
  });

  it('words for the list and the questions', () => {
    expect(formatDiffStat({ files: 3, added: 120, deleted: 8 })).toBe('+120 −8 3f');
    expect(formatDiffStat({ files: 0, added: 0, deleted: 0 })).toBe('');
    expect(formatDiffStat(undefined)).toBe('');
    expect(listFiles(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
    expect(describeLoss({ base: 'main', unmergedCommits: 2, uncommitted: ['x.txt'] })).toBe('2 commits not in main and 1 uncommitted file (x.txt)');
    expect(describeLoss({ base: 'main', unmergedCommits: 0, uncommitted: [] })).toBe('nothing unmerged');
    expect(describeConflicts([{ with: 'b', withId: 'bbbb', files: ['a.txt'] }, { with: 'main', withId: null, files: ['x', 'y', 'z'] }])).toBe(
      'b (a.txt), main (x, y and 1 more)',
    );
    expect(describeConflicts([])).toBe('');
    expect(trashRef('worker/api-3f2a')).toBe('refs/workerdeck/trash/worker/api-3f2a');
  });

  it('the reducer records diffstat, conflicts and validation on the worker, and ignores unknown workers', () => {
    let state = reduce(emptyDeckState(), { type: 'worker-added', worker: newWorkerRecord({ id: 'aaaa', name: 'a', agent: 'shell', cwd: '/', createdAt: 1 }) });
    state = reduce(state, { type: 'worker-diffstat', id: 'aaaa', diffstat: { files: 1, added: 2, deleted: 3 } });
    state = reduce(state, { type: 'worker-conflicts', id: 'aaaa', conflicts: [{ with: 'b', withId: 'bbbb', files: ['f'] }] });
    const validation = { status: 'failed' as const, command: 'x', exitCode: 1, startedAt: 1, finishedAt: 2, log: '/l', tail: 'no', nudges: 0 };
    state = reduce(state, { type: 'worker-validation', id: 'aaaa', validation });
    expect(state.workers.aaaa).toMatchObject({ diffstat: { files: 1, added: 2, deleted: 3 }, conflicts: [{ with: 'b' }], validation });
    expect(reduce(state, { type: 'worker-diffstat', id: 'zzzz', diffstat: null })).toBe(state);
  });
});
