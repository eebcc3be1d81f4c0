import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { killSessionsSync, parseProcStat, sessionPids, signalSession } from '../../src/pty/session.js';
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
