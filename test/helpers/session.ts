import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processGone } from './deck.js';

/**
 * Pids of the live (not zombie) processes whose session id is `sid`, from
 * `ps`: an oracle that does not share the deck's own /proc parsing.
 */
export function sessionMembers(sid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,sid=,stat='], { encoding: 'utf8' });
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const [pid, session, stat] = line.trim().split(/\s+/);
    if (Number(session) === sid && stat && !stat.startsWith('Z')) pids.push(Number(pid));
  }
  return pids;
}

/** The process group id of `pid`, from /proc (Linux), or null when it is gone. */
export function processGroupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

/** The command line of `pid`, words joined by spaces; '' when it is gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * A background job that ignores SIGTERM and SIGHUP, as agents start dev
 * servers: typed into an interactive shell, it prints `<tag>=<pid>` and then
 * becomes `sleep <seconds>` in that same pid.
 */
export function stubbornJob(tag: string, seconds: number): string {
  return `bash -c 'trap "" HUP TERM; echo ${tag}=$$; exec sleep ${seconds}' &`;
}

/** SIGKILL a pid this test started, if it is still there (cleanup after a failed assertion). */
export function killIfLeft(pid: number): void {
  if (!pid || processGone(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}
