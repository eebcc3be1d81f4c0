import { readFile, unlink, writeFile } from 'node:fs/promises';
import { processRunning } from './pid.js';
import type { StateLayout } from './state-dir.js';

/**
 * Take the state dir's server lock: `deck.pid`, created exclusively. A lock
 * left by a process that is gone is taken over.
 * @returns a function that releases the lock (only if this process still holds it)
 * @throws Error when another live server holds it.
 */
export async function takeLock(layout: StateLayout): Promise<() => Promise<void>> {
  const release = async () => {
    const holder = await readFile(layout.lockFile, 'utf8').catch(() => '');
    if (Number(holder.trim()) === process.pid) await unlink(layout.lockFile).catch(() => undefined);
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(layout.lockFile, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(layout.lockFile, 'utf8').catch(() => '')).trim());
    if (pid && pid !== process.pid && processRunning(pid)) {
      throw new LockHeldError(pid, `Another workerdeck server (pid ${pid}) already runs on ${layout.dir}.`);
    }
    await unlink(layout.lockFile).catch(() => undefined);
  }
  throw new Error(`Cannot take the lock ${layout.lockFile}; another server may be starting. Try again.`);
}

/** The lock is held by another live process. */
export class LockHeldError extends Error {
  constructor(
    readonly pid: number,
    message: string,
  ) {
    super(message);
  }
}
