import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { killSessionsSync, parseProcStat, sessionPids, signalSession } from '../../src/pty/session.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import type { PtyExit } from '../../src/pty/types.js';
import { processGone, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { killIfLeft, sessionMembers } from '../helpers/session.js';
import { waitFor } from '../helpers/term.js';

const { cleanups, pids } = trackResources();

describe('a real process session (Linux /proc)', () => {
  it('finds every process of the session, even one whose name holds spaces and parentheses, and ends them all', async () => {
    const dir = tempDir('wd-session-');
    cleanups.push(() => dir.cleanup());
    // A sleep whose command name, in /proc/<pid>/stat, is "(a b) (c)".
    const odd = path.join(dir.dir, 'a b) (c');
    symlinkSync('/bin/sleep', odd);
    // The first job keeps the default SIGTERM; the shell and the second job ignore it.
    const script = `"$0" 7110 & trap "" TERM HUP; sleep 7111 & wait`;
    const leader = spawn('/bin/sh', ['-c', script, odd], { detached: true, stdio: 'ignore' });
    const sid = leader.pid!;
    pids.push(sid);
    await waitFor(() => sessionPids(sid).length === 3, 'the shell and its two jobs');
    const members = sessionPids(sid);
    for (const pid of members) {
      pids.push(pid);
      cleanups.push(() => killIfLeft(pid));
    }
    expect(members).toEqual(sessionMembers(sid).sort((a, b) => a - b));
    expect(members).toContain(sid);

    expect(signalSession(sid, 'SIGTERM').sort()).toEqual([...members].sort());
    await waitFor(() => sessionPids(sid).length === 2, 'the job with the default SIGTERM to end');
    expect(sessionMembers(sid)).toHaveLength(2);

    const session = { sessionPids: (age?: number) => sessionPids(sid, age), killSession: (s: NodeJS.Signals, age?: number) => signalSession(sid, s, age).length };
    expect(killSessionsSync([session])).toBe(true);
    expect(sessionPids(sid)).toEqual([]);
    await waitFor(() => members.every(processGone), 'every member to be gone');
  });

  it('never lists this process, nor anything for sessions 0 and 1', () => {
    const own = parseProcStat(readFileSync('/proc/self/stat', 'latin1'))!.session;
    expect(sessionMembers(own)).toContain(process.pid);
    expect(sessionPids(own)).not.toContain(process.pid);
    expect(sessionPids(0)).toEqual([]);
    expect(sessionPids(1)).toEqual([]);
  });
});

describe('a node-pty session seen through a stale scan', () => {
  it("counts and signals the PTY's own child even when the shared /proc scan predates it (the stop that waited forever)", async () => {
    // A scan from before the spawn, reused as a reaper may reuse one that is up to maxAgeMs old.
    sessionPids(process.pid, 0);
    const pty = spawnNodePty({ file: '/bin/sh', args: ['-c', 'sleep 7120'], cols: 80, rows: 24, cwd: process.cwd(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    pids.push(pty.pid);
    let exit: PtyExit | null = null;
    pty.onExit((e) => (exit = e));
    expect(sessionPids(pty.pid, Infinity)).toEqual([]);
    expect(pty.sessionPids(Infinity)).toEqual([pty.pid]);
    expect(pty.killSession('SIGKILL', Infinity)).toBe(1);
    await waitFor(() => exit !== null, 'the PTY child to exit');
    expect(pty.sessionPids(0)).toEqual([]);
    expect(processGone(pty.pid)).toBe(true);
  });
});
