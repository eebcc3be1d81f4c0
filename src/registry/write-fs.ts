import { renameSync } from 'node:fs';
import { appendFile, stat, truncate, writeFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';

/**
 * The file-system writes of the Registry (`state.json`, `events.jsonl`) and
 * the Mailbox (moves into `mail/cur` and `mail/bad`), behind one small seam:
 * tests pass one that fails with ENOSPC or EACCES instead of filling a disk.
 * Reads stay on node:fs directly; a failed read loses nothing.
 * Every method rejects with the Node error (`code` set) that the real call gives.
 */
export interface WriteFs {
  /** Replace `file` with `data` (UTF-8) atomically: a temp file in the same dir, then a rename. */
  writeFileAtomic(file: string, data: string, options: { mode: number }): Promise<void>;
  /** Append `data` (UTF-8) to `file`, creating it with `mode` when missing. */
  appendFile(file: string, data: string, options: { mode: number }): Promise<void>;
  /** Rename `from` to `to` (same file system). ENOENT when `from` is gone. */
  rename(from: string, to: string): Promise<void>;
  /** Write `data` (UTF-8) to `file`, replacing it, created with `mode`. */
  writeFile(file: string, data: string, options: { mode: number }): Promise<void>;
  /** The size of `file` in bytes; 0 when it does not exist. */
  size(file: string): Promise<number>;
  /** Cut `file` back to `length` bytes (undoes a partly written append). */
  truncate(file: string, length: number): Promise<void>;
}

/** The real seam: node:fs/promises (renames synchronous), and write-file-atomic for atomic replaces. */
export const nodeWriteFs: WriteFs = {
  writeFileAtomic: (file, data, options) => writeFileAtomic(file, data, options),
  appendFile: (file, data, options) => appendFile(file, data, options),
  // On the calling thread: a rename is one short syscall, and a mail waits for its move into
  // mail/cur; through the thread pool (busy with transcript writes while workers print) it waited in line.
  rename: async (from, to) => renameSync(from, to),
  writeFile: (file, data, options) => writeFile(file, data, options),
  size: async (file) => {
    try {
      return (await stat(file)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
  },
  truncate: (file, length) => truncate(file, length),
};

/** The error code of a failed file-system call (`ENOSPC`, `EACCES`, …), or `error` when it has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
