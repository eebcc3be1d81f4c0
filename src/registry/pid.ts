import { readFileSync } from 'node:fs';

/**
 * True when a process with this pid exists. A process we may not signal
 * (EPERM) exists too.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when a process with this pid exists and is not a zombie (a process
 * that ended but was not reaped runs nothing, and holds no lock). Zombies are
 * told from /proc on Linux; elsewhere this is processExists.
 */
export function processRunning(pid: number): boolean {
  if (!processExists(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Send `signal` to the process group `pid` leads (a child started with `detached`); a group that is gone is no error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Gone already.
  }
}
