import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGit } from '../../src/git/spawn-git.js';
import { chooseStateDir, socketPath } from '../../src/registry/state-dir.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';

const sha = (text: string, n: number) => createHash('sha256').update(text).digest('hex').slice(0, n);

// node:crypto loads on first use in state-dir.ts; the names it hashes must stay the same.
describe('state dir and socket names', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('outside git: $XDG_STATE_HOME/workerdeck/<sha256 of the cwd, 12 hex>', async () => {
    const dir = tempDir('wd-state-plain-');
    cleanups.push(dir.cleanup);
    const choice = await chooseStateDir({ env: { XDG_STATE_HOME: '/x/state' }, cwd: dir.dir, git: spawnGit() });
    expect(choice).toEqual({ dir: path.join('/x/state', 'workerdeck', sha(dir.dir, 12)), repo: null });
  });

  it('in a repo: <git common dir>/workerdeck; the flag and the variable win', async () => {
    const repo = tempRepo('wd-state-repo-');
    cleanups.push(repo.cleanup);
    const choice = await chooseStateDir({ env: {}, cwd: repo.dir, git: spawnGit() });
    expect(choice.dir).toBe(path.join(repo.dir, '.git', 'workerdeck'));
    expect(choice.repo?.branch).toBe('main');
    expect((await chooseStateDir({ flag: 'st', env: { WORKERDECK_STATE_DIR: '/v' }, cwd: repo.dir, git: spawnGit() })).dir).toBe(path.join(repo.dir, 'st'));
    expect((await chooseStateDir({ env: { WORKERDECK_STATE_DIR: '/v' }, cwd: repo.dir, git: spawnGit() })).dir).toBe('/v');
  });

  it('a socket path too long for a Unix socket moves to the temp dir, named by the sha256 of the state dir', () => {
    expect(socketPath('/s/state')).toBe('/s/state/server.sock');
    const long = `/s/${'d'.repeat(120)}`;
    expect(socketPath(long)).toBe(path.join(os.tmpdir(), `workerdeck-${process.getuid?.() ?? 'user'}`, `${sha(long, 16)}.sock`));
  });
});
