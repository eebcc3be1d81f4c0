import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execaGit, type GitRunner } from '../../src/git/git.js';
import { spawnGit } from '../../src/git/spawn-git.js';
import { repoInfo } from '../../src/git/worktree.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';

// spawnGit replaces execaGit where the clients find their state dir; it must answer the same.
describe('spawnGit answers as execaGit does', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const repo = () => {
    const r = tempRepo('wd-spawn-git-');
    cleanups.push(r.cleanup);
    return r;
  };
  const both = async (args: string[], cwd: string, options?: Parameters<GitRunner['run']>[2]) => {
    const [a, b] = await Promise.all([execaGit().run(args, cwd, options), spawnGit().run(args, cwd, options)]);
    return { execa: a, spawn: b };
  };

  it('gives the same stdout, stderr and exit code for what the clients run', async () => {
    const r = repo();
    const args = ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--abbrev-ref', 'HEAD'];
    const ok = await both(args, r.dir);
    expect(ok.spawn).toEqual(ok.execa);
    expect(ok.spawn.exitCode).toBe(0);
    expect(ok.spawn.stdout.split('\n')).toEqual([r.dir, path.join(r.dir, '.git'), 'main']);
    // Outside a repo: git's own error, exit 128.
    const plain = tempDir('wd-spawn-git-plain-');
    cleanups.push(plain.cleanup);
    const bad = await both(args, plain.dir);
    expect(bad.spawn).toEqual(bad.execa);
    expect(bad.spawn.exitCode).toBe(128);
    expect(bad.spawn.stderr).toMatch(/not a git repository/);
    expect(await repoInfo(spawnGit(), r.dir)).toEqual(await repoInfo(execaGit(), r.dir));
    expect(await repoInfo(spawnGit(), plain.dir)).toBeNull();
  });

  it('passes input, extra variables and LC_ALL=C, and strips only the final newline', async () => {
    const r = repo();
    const hashed = await both(['hash-object', '--stdin'], r.dir, { input: 'two\nlines\n' });
    expect(hashed.spawn).toEqual(hashed.execa);
    expect(hashed.spawn.stdout).toMatch(/^[0-9a-f]{40}$/);
    const vars = await both(['var', 'GIT_AUTHOR_IDENT'], r.dir, { env: { GIT_AUTHOR_NAME: 'Spawn Test', GIT_AUTHOR_EMAIL: 's@t' } });
    expect(vars.spawn).toEqual(vars.execa);
    expect(vars.spawn.stdout).toMatch(/^Spawn Test <s@t> /);
    writeFileSync(path.join(r.dir, 'a.txt'), 'x\n\n');
    const blank = await both(['config', '--get-regexp', '^(core\\.bare|init\\.nothing)$'], r.dir);
    expect(blank.spawn).toEqual(blank.execa);
    const shown = await both(['-c', 'core.pager=cat', 'show', 'HEAD', '--format=%s%n%n'], r.dir);
    expect(shown.spawn).toEqual(shown.execa);
    expect(shown.spawn.stdout.endsWith('\n')).toBe(true);
  });

  it('times out with exit code 124, and gives 127 when git cannot run', async () => {
    const r = repo();
    // A git that outlasts its timeout: an alias that sleeps (both wait for the sleep, which holds
    // git's stdout, so nothing is left running).
    const hangArgs = ['-c', 'alias.hang=!sleep 1', 'hang'];
    const [hang, execaHang] = await Promise.all([spawnGit(200).run(hangArgs, r.dir), execaGit(200).run(hangArgs, r.dir)]);
    expect(hang).toEqual({ stdout: '', stderr: 'git -c took longer than 0.2 s', exitCode: 124 });
    expect(execaHang).toEqual(hang);
    const missing = path.join(r.dir, 'missing');
    const gone = await both(['status'], missing);
    expect(gone.spawn.exitCode).toBe(127);
    expect(gone.execa.exitCode).toBe(127);
    expect(gone.spawn.stderr).toMatch(/ENOENT/);
    // A git that exits by a signal counts as one that could not run, as with execa.
    const bin = path.join(r.dir, 'bin');
    mkdirSync(bin);
    const fake = path.join(bin, 'git');
    writeFileSync(fake, '#!/bin/sh\nkill -9 $$\n');
    chmodSync(fake, 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${saved ?? ''}`;
    try {
      const killed = await both(['status'], r.dir);
      expect(killed.spawn.exitCode).toBe(127);
      expect(killed.execa.exitCode).toBe(127);
    } finally {
      process.env.PATH = saved;
    }
  });
});
