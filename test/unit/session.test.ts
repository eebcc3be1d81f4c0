import { describe, expect, it } from 'vitest';
import { killSessionsSync, parseProcStat, SessionReaper, type SessionHandle } from '../../src/pty/session.js';
import { waitFor } from '../helpers/term.js';

/** A session of made-up pids: records signals; a test ends processes by removing them. */
class FakeSession implements SessionHandle {
  signals: string[] = [];
  /** How many times the session was looked at. */
  polls = 0;
  constructor(public pids: number[]) {}
  sessionPids(): number[] {
    this.polls++;
    return [...this.pids];
  }
  killSession(signal: NodeJS.Signals): number {
    this.signals.push(signal);
    return this.pids.length;
  }
}

describe('parseProcStat', () => {
  it('reads state, parent, group and session after the command name', () => {
    expect(parseProcStat('4242 (sleep) S 4200 4242 4100 34816 4242 4194304 100 0 0 0')).toEqual({
      pid: 4242,
      state: 'S',
      ppid: 4200,
      pgrp: 4242,
      session: 4100,
    });
  });

  it('takes the fields after the last ")", so a command name with spaces and parentheses cannot shift them', () => {
    expect(parseProcStat('77 (a b) (c) S 9 1 2) Z 5 6 7 8 0 0 0')).toEqual({ pid: 77, state: 'Z', ppid: 5, pgrp: 6, session: 7 });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('no parens here')).toBeNull();
    expect(parseProcStat('12 (x) S one two three')).toBeNull();
  });
});

describe('SessionReaper', () => {
  it('sends SIGTERM, SIGHUP and SIGCONT at once, SIGKILL only from the grace deadline on, and resolves when the session is empty', async () => {
    let now = 1000;
    const session = new FakeSession([10, 11]);
    const reaper = new SessionReaper(session, { pollMs: 1, now: () => now });
    reaper.end(500);
    expect(session.signals).toEqual(['SIGTERM', 'SIGHUP', 'SIGCONT']);
    let result: number[] | null = null;
    void reaper.whenEmpty().then((left) => (result = left));
    // Polls go on before the deadline without a SIGKILL.
    await waitFor(() => session.polls >= 5, 'a few polls');
    expect(session.signals).not.toContain('SIGKILL');
    expect(result).toBeNull();
    now = 1500;
    await waitFor(() => session.signals.includes('SIGKILL'), 'a SIGKILL at the deadline');
    const kills = () => session.signals.filter((s) => s === 'SIGKILL').length;
    await waitFor(() => kills() >= 3, 'SIGKILL repeated while processes are left');
    session.pids = [];
    await waitFor(() => result !== null, 'whenEmpty to resolve');
    expect(result).toEqual([]);
  });

  it('a shorter grace asked for later wins; a longer one does not delay the SIGKILL', async () => {
    let now = 0;
    const session = new FakeSession([10]);
    const reaper = new SessionReaper(session, { pollMs: 1, now: () => now });
    reaper.end(5000);
    reaper.end(100);
    reaper.end(9000);
    now = 100;
    await waitFor(() => session.signals.includes('SIGKILL'), 'a SIGKILL at the shorter deadline');
    session.pids = [];
    expect(await reaper.whenEmpty()).toEqual([]);
  });

  it('without end() it only watches, and sends nothing', async () => {
    const session = new FakeSession([10]);
    const reaper = new SessionReaper(session, { pollMs: 1 });
    const empty = reaper.whenEmpty();
    await waitFor(() => session.polls >= 3, 'a few polls');
    session.pids = [];
    expect(await empty).toEqual([]);
    expect(session.signals).toEqual([]);
  });

  it('gives up on a process that SIGKILL does not end within giveUpMs and names it', async () => {
    let now = 0;
    const session = new FakeSession([10, 12]);
    const reaper = new SessionReaper(session, { pollMs: 1, giveUpMs: 50, now: () => now });
    reaper.end(0);
    await waitFor(() => session.signals.includes('SIGKILL'), 'a SIGKILL');
    now = 50;
    expect(await reaper.whenEmpty()).toEqual([10, 12]);
  });
});

describe('killSessionsSync', () => {
  it('SIGKILLs every session in rounds until none is left', () => {
    const a = new FakeSession([1, 2]);
    const b = new FakeSession([]);
    // A process that ends only on its second SIGKILL (as one forked during the first round would be caught).
    let rounds = 0;
    a.killSession = (signal) => {
      a.signals.push(signal);
      rounds++;
      const n = a.pids.length;
      if (rounds === 2) a.pids = [];
      return n;
    };
    expect(killSessionsSync([a, b])).toBe(true);
    expect(a.signals).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    expect(b.signals).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
  });

  it('says so when something is left after the last round', () => {
    const stuck = new FakeSession([5]);
    expect(killSessionsSync([stuck], 2, 0)).toBe(false);
    expect(stuck.signals).toEqual(['SIGKILL', 'SIGKILL']);
  });
});
