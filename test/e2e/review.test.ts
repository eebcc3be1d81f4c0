import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/term.js';
import { deckFixture } from '../helpers/e2e.js';

/** A worker record with the fields these tests read. */
interface Listed {
  id: string;
  name: string;
  status: string;
  worktree: string | null;
  branch: string | null;
  diffstat?: { files: number; added: number; deleted: number } | null;
}

const GIT = 'git -c user.name=t -c user.email=t@t';

describe('from completion to merged, as a user drives it (built binary at 120x40)', () => {
  const f = deckFixture();
  const worker = (name: string): Listed | undefined => (f.list() as unknown as Listed[]).find((w) => w.name === name);

  /** Open the deck and start a shell worker through the CLI whose first line is `task`; resolves once it ran. */
  const start = async (name: string, task: string) => {
    const d = f.open();
    await d.waitForText('q quit');
    f.cli(['spawn', '--name', name, '--', task]);
    await d.waitForText(name);
    return d;
  };

  for (const [key, strategy, parents] of [
    ['y', 'merge commit', 2],
    ['2', 'squash', 1],
    ['3', 'rebase and fast-forward', 1],
  ] as const) {
    it(`d shows a completed worker's file and hunk, m merges it (${strategy}), and D then removes it after one question`, async () => {
      // main moves on after the worker starts, so no strategy is a plain fast-forward.
      const d = await start('feat', `printf 'hello review\\n' > feature.txt && git add feature.txt && ${GIT} commit -qm 'add feature' && workerdeck mail complete 'feature added'`);
      await waitFor(() => worker('feat')?.status === 'completed' && worker('feat')?.diffstat?.files === 1, 'a completed worker with a diffstat', 20_000, () => d.screen());
      expect(worker('feat')?.diffstat).toEqual({ files: 1, added: 1, deleted: 0 });
      await d.waitForText('+1 −0 1f');
      writeFileSync(path.join(f.repo.dir, 'main-only.txt'), 'main\n');
      f.repo.git('add', 'main-only.txt');
      f.repo.git('commit', '-q', '-m', 'main moves');

      d.type('d');
      await d.waitForText('feat vs main: 1 files +1 −0');
      await d.waitForText('A +1 −0 feature.txt');
      await d.waitForText('+hello review');
      await d.waitForText('@@ -0,0 +1 @@');
      d.type('\u001b');
      await d.waitForText('q quit');

      d.type('m');
      await d.waitForText(/Merge worker\/feat-[0-9a-f]{4} into main \(merge commit\): 1 commit, no conflicts\?/);
      await d.waitForText('Conflicts: none');
      await d.waitForText('add feature');
      d.type(key);
      await d.waitForText(`Merged feat into main (${strategy}`);
      expect(f.repo.git('log', '--format=%s', 'main')).toMatch(key === '2' ? /feature added/ : /add feature/);
      expect(f.repo.git('show', 'main:feature.txt')).toBe('hello review\n');
      expect(f.repo.git('log', '-1', '--format=%P', 'main').trim().split(' ')).toHaveLength(parents);
      // The operator's checkout of main followed, and is clean.
      expect(readFileSync(path.join(f.repo.dir, 'feature.txt'), 'utf8')).toBe('hello review\n');
      expect(f.repo.git('status', '--porcelain')).toBe('');

      const { worktree, branch } = worker('feat')!;
      d.type('x');
      await d.waitForText('Stop feat? (y/n)');
      d.type('y');
      await waitFor(() => /Stopped feat/.test(d.screen()), 'the worker to stop', 15_000, () => d.screen());
      d.type('D');
      await d.waitForText(/Remove feat with its worktree and branch worker\/feat-[0-9a-f]{4}\? It is merged into main and clean\. \(y\/n\)/);
      d.type('y');
      await d.waitForText('Removed feat with its worktree and branch');
      await waitFor(() => worker('feat') === undefined, 'the worker to leave the list', 10_000, () => d.screen());
      expect(existsSync(worktree!)).toBe(false);
      expect(f.repo.git('branch', '--list', branch!)).toBe('');
    });
  }

  it('D names an unmerged commit and an uncommitted file, removes only on yes, and workerdeck restore brings both back', async () => {
    const d = await start('wip', `printf 'kept\\n' > done.txt && git add done.txt && ${GIT} commit -qm 'unmerged work' && printf 'draft\\n' > notes.txt && exit`);
    await waitFor(() => worker('wip')?.status === 'exited', 'the worker to exit', 20_000, () => d.screen());
    const { worktree, branch } = worker('wip')!;
    const prompt = /Remove wip\? It has 1 commit not in main and 1 uncommitted file \(notes\.txt\)\. They are kept in the trash/;
    d.type('D');
    await d.waitForText(prompt);
    d.type('n');
    await d.waitForText('q quit');
    expect(existsSync(path.join(worktree!, 'notes.txt'))).toBe(true);
    expect(worker('wip')).toBeDefined();

    d.type('D');
    await d.waitForText(prompt);
    d.type('y');
    await d.waitForText('Removed wip with its worktree and branch; workerdeck restore wip brings them back');
    expect(existsSync(worktree!)).toBe(false);
    expect(f.repo.git('branch', '--list', branch!)).toBe('');

    expect(f.cli(['restore', 'wip'])).toMatch(/^Restored worker\/wip-[0-9a-f]{4} in .*, with 1 uncommitted file\.\n$/);
    expect(f.repo.git('log', '-1', '--format=%s', branch!).trim()).toBe('unmerged work');
    expect(readFileSync(path.join(worktree!, 'done.txt'), 'utf8')).toBe('kept\n');
    expect(readFileSync(path.join(worktree!, 'notes.txt'), 'utf8')).toBe('draft\n');
    expect(f.repo.git('-C', worktree!, 'status', '--porcelain')).toBe('?? notes.txt\n');
  });

  it('m refuses a predicted conflict and leaves the main worktree and the worker\'s untouched', async () => {
    writeFileSync(path.join(f.repo.dir, 'a.txt'), 'one\ntwo\nthree\n');
    f.repo.git('add', 'a.txt');
    f.repo.git('commit', '-q', '-m', 'a.txt');
    const d = await start('clash', `printf 'one\\nworker\\nthree\\n' > a.txt && ${GIT} commit -qam 'worker line' && printf 'x\\n' > scratch.txt && workerdeck mail complete done`);
    await waitFor(() => worker('clash')?.status === 'completed', 'the worker to complete', 20_000, () => d.screen());
    writeFileSync(path.join(f.repo.dir, 'a.txt'), 'one\nmain\nthree\n');
    f.repo.git('commit', '-q', '-am', 'main line');
    const { worktree } = worker('clash')!;
    const status = () => [f.repo.git('status', '--porcelain=v2', '--branch'), f.repo.git('-C', worktree!, 'status', '--porcelain=v2', '--branch')];
    const before = status();
    const head = f.repo.git('rev-parse', 'main');

    d.type('m');
    await d.waitForText('Cannot merge clash: Merging');
    await d.waitForText('would conflict in a.txt');
    expect(status()).toEqual(before);
    expect(f.repo.git('rev-parse', 'main')).toBe(head);
  });

  it('the diff view of a 5,000-line change scrolls by pages and jumps between files', async () => {
    const d = await start('big', `seq 1 5000 > big.txt && printf 'small\\n' > small.txt && workerdeck mail complete big`);
    await waitFor(() => worker('big')?.diffstat?.added === 5001, 'the diffstat of both files', 20_000, () => d.screen());
    await d.waitForText('+5001 −0 2f');
    d.type('d');
    await d.waitForText('A +5000 −0 big.txt');
    await d.waitForText(/big\.txt · added · 1-\d+\/5001/);
    const page = Number(/big\.txt · added · 1-(\d+)\/5001/.exec(d.screen())?.[1]);
    for (let i = 0; i < 3; i++) d.type('\u001b[6~');
    const from = 1 + 3 * (page - 1);
    await d.waitForText(`${from}-${from + page - 1}/5001`);
    await d.waitForText(`+${from - 1}`);
    d.type('\t');
    await d.waitForText('small.txt · added');
    await d.waitForText('+small');
    d.type('d');
    await d.waitForText('q quit');
  });

  it('the radar marks two workers that change the same lines, naming each other, and not one that changes another file', async () => {
    writeFileSync(path.join(f.repo.dir, 'a.txt'), 'one\ntwo\nthree\n');
    f.repo.git('add', 'a.txt');
    f.repo.git('commit', '-q', '-m', 'a.txt');
    const d = await start('left', `printf 'one\\nleft\\nthree\\n' > a.txt && workerdeck mail complete left`);
    f.cli(['spawn', '--name', 'other', '--', `printf 'c\\n' > c.txt && ${GIT} add c.txt && ${GIT} commit -qm c && workerdeck mail complete other`]);
    await waitFor(() => worker('left')?.status === 'completed' && worker('other')?.status === 'completed', 'two completed workers', 20_000, () => d.screen());
    f.cli(['spawn', '--name', 'right', '--', `printf 'one\\nright\\nthree\\n' > a.txt && ${GIT} commit -qam right && workerdeck mail complete right`]);
    await d.waitForText(/⚡left .* right \(a\.txt\)/);
    await d.waitForText(/⚡right .* left \(a\.txt\)/);
    const listed = f.list() as unknown as (Listed & { conflicts?: { with: string; files: string[] }[] })[];
    const by = (name: string) => listed.find((w) => w.name === name);
    expect(by('left')?.conflicts).toEqual([{ with: 'right', withId: by('right')?.id, files: ['a.txt'] }]);
    expect(by('right')?.conflicts).toEqual([{ with: 'left', withId: by('left')?.id, files: ['a.txt'] }]);
    expect(by('other')?.conflicts).toEqual([]);
    // The plain list says the same.
    expect(f.cli(['list'])).toMatch(/left +shell +completed +\d+ +worker\/left-[0-9a-f]{4} +\+1 −1 1f +\S+ +⚡ right \(a\.txt\) · left/);
    expect(d.screen()).toMatch(/✓ other .* other /);
    expect(d.screen()).not.toMatch(/⚡other/);
    // i names the other worker and the file.
    d.type('i');
    await d.waitForText(/conflicts\s+with (left|right) in a\.txt/);
    d.type('\u001b');
    await d.waitForText('q quit');
  });

  it('validate runs on completion: failed with its log, nudges once with retries 1, and passes once the worker fixes it', async () => {
    mkdirSync(path.join(f.configHome, 'workerdeck'), { recursive: true });
    // An agent that reads prompts as a shell does (the nudge runs as a command, harmlessly): `shell` workers are never nudged.
    writeFileSync(
      path.join(f.configHome, 'workerdeck', 'config.json'),
      JSON.stringify({
        validate: { command: 'test -f OK || (echo OK-is-missing; exit 3)', retries: 1 },
        presets: { script: { command: 'bash', args: ['-c', '{task}; exec bash --norc -i'] } },
      }),
    );
    type WithValidation = Listed & { validation?: { status: string; exitCode: number | null; startedAt: number; finishedAt: number | null; log: string; nudges: number } };
    const v = () => (worker('val') as WithValidation | undefined)?.validation;
    const nudges = () => f.cli(['events', '--json']).split('\n').filter((l) => l.includes('"operator-wrote"') && l.includes('"kind":"nudge"')).length;
    const d = f.open();
    await d.waitForText('q quit');
    f.cli(['spawn', '--name', 'val', '--agent', 'script', '--', `workerdeck mail complete 'first try'`]);
    await d.waitForText('val');
    await waitFor(() => v()?.status === 'failed' && v()?.nudges === 1, 'a failed validation and one nudge', 20_000, () => d.screen());
    expect(v()).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(v()?.finishedAt).toBeGreaterThanOrEqual(v()?.startedAt ?? Infinity);
    expect(readFileSync(v()!.log, 'utf8')).toBe('OK-is-missing\n');
    await d.waitForText('validate failed');
    await d.waitForText('Validation failed: "test -f OK');
    expect(nudges()).toBe(1);
    d.type('i');
    await d.waitForText(/validate\s+failed \(exit code 3\): test -f OK/);
    await d.waitForText('│ OK-is-missing');
    d.type('\u001b');
    await d.waitForText('q quit');

    // A second failure is not nudged again (retries: 1).
    const first = v()!.startedAt;
    f.cli(['send', 'val', 'workerdeck mail complete second-try']);
    await waitFor(() => v()?.status === 'failed' && v()!.startedAt > first, 'a second failed validation', 20_000, () => d.screen());
    expect(nudges()).toBe(1);

    f.cli(['send', 'val', 'touch OK && workerdeck mail complete fixed']);
    await waitFor(() => v()?.status === 'passed', 'a passed validation', 20_000, () => d.screen());
    expect(v()).toMatchObject({ exitCode: 0, nudges: 0 });
    await d.waitForText('validate passed');
    expect(nudges()).toBe(1);

    // A shell worker whose validation fails is not nudged: its shell would run the text as a command.
    f.cli(['spawn', '--name', 'valsh', '--agent', 'shell', '--', `workerdeck mail complete 'shell try'`]);
    const vsh = () => (worker('valsh') as WithValidation | undefined)?.validation;
    await waitFor(() => vsh()?.status === 'failed', 'the shell worker\'s failed validation', 20_000, () => d.screen());
    await waitFor(() => f.cli(['events', '--json']).includes("valsh's validation failed; a shell worker is not nudged"), 'the warning', 10_000, () => d.screen());
    expect(vsh()?.nudges).toBe(0);
    expect(nudges()).toBe(1);
  });

  it('P says there is no remote, then pushes to a bare local remote and says gh is absent', async () => {
    const d = await start('pub', `printf 'p\\n' > p.txt && git add p.txt && ${GIT} commit -qm 'publish me' && workerdeck mail complete 'ready to publish'`);
    await waitFor(() => worker('pub')?.status === 'completed', 'the worker to complete', 20_000, () => d.screen());
    d.type('P');
    await d.waitForText('This repo has no git remote to push worker/pub-');
    const bare = path.join(f.home.dir, 'remote.git');
    f.repo.git('init', '-q', '--bare', bare);
    f.repo.git('remote', 'add', 'origin', bare);
    d.type('P');
    await d.waitForText(/Pushed worker\/pub-[0-9a-f]{4} to origin\. gh \(the GitHub CLI\) is not installed, so no pull request was opened/);
    const branch = worker('pub')!.branch!;
    expect(f.repo.git('--git-dir', bare, 'log', '-1', '--format=%s', branch).trim()).toBe('publish me');
  });

  it('P opens a pull request with gh, with the task as title and the completion summary as body, and shows its URL', async () => {
    const bin = path.join(f.home.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const argsFile = path.join(f.home.dir, 'gh-args');
    writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(argsFile)}\necho https://example.invalid/pr/7\n`, { mode: 0o755 });
    const bare = path.join(f.home.dir, 'remote.git');
    f.repo.git('init', '-q', '--bare', bare);
    f.repo.git('remote', 'add', 'origin', bare);
    const d = f.open(['--agent', 'shell'], 120, 40, { PATH: `${bin}:${process.env.PATH}` });
    await d.waitForText('q quit');
    const task = `printf 'q\\n' > q.txt && git add q.txt && ${GIT} commit -qm q && workerdeck mail complete 'the summary'`;
    f.cli(['spawn', '--name', 'pr', '--', task]);
    await waitFor(() => worker('pr')?.status === 'completed', 'the worker to complete', 20_000, () => d.screen());
    d.type('P');
    await d.waitForText('Opened https://example.invalid/pr/7');
    const args = readFileSync(argsFile, 'utf8').split('\n');
    expect(args.slice(0, 8)).toEqual(['pr', 'create', '--head', worker('pr')!.branch, '--base', 'main', '--title', task]);
    expect(args.slice(8, 10)).toEqual(['--body', 'the summary']);
  });

  it('v runs validate on demand; one over its timeout is killed with its whole process group and shows timed out', async () => {
    mkdirSync(path.join(f.configHome, 'workerdeck'), { recursive: true });
    writeFileSync(path.join(f.configHome, 'workerdeck', 'config.json'), JSON.stringify({ validate: { command: 'echo started; sleep 3737 & sleep 3838', timeout: 1 } }));
    const sleepers = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return /^sleep\0(3737|3838)\0/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
          } catch {
            return false;
          }
        });
    const d = await start('slow', 'echo idle');
    await waitFor(() => worker('slow')?.status === 'running', 'a running worker', 15_000, () => d.screen());
    d.type('v');
    await d.waitForText('Validating slow: echo started; sleep 3737 & sleep 3838');
    await d.waitForText('validate timed out', 20_000);
    const v = (worker('slow') as Listed & { validation?: { status: string; log: string } }).validation;
    expect(v?.status).toBe('timed-out');
    expect(readFileSync(v!.log, 'utf8')).toBe('started\n');
    await waitFor(() => sleepers().length === 0, 'no sleep of the validate command left', 10_000, () => sleepers().join(' '));
  });

  it('workerdeck prune removes a merged orphan branch and keeps an unmerged one with the reason', async () => {
    f.repo.git('branch', 'worker/merged-aaaa', 'main');
    f.repo.git('checkout', '-q', '-b', 'worker/lone-bbbb');
    writeFileSync(path.join(f.repo.dir, 'lone.txt'), 'lone\n');
    f.repo.git('add', 'lone.txt');
    f.repo.git('commit', '-q', '-m', 'lone');
    f.repo.git('checkout', '-q', 'main');
    const out = f.cli(['prune']);
    expect(out).toMatch(/^removed  branch +worker\/merged-aaaa: deleted: merged into main \(kept in refs\/workerdeck\/trash\/worker\/merged-aaaa\)$/m);
    expect(out).toMatch(/^kept +branch +worker\/lone-bbbb: kept: 1 commit not in main$/m);
    expect(f.repo.git('branch', '--list', 'worker/*')).toBe('  worker/lone-bbbb\n');
  });
});
