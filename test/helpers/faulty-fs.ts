import { nodeWriteFs, type WriteFs } from '../../src/registry/write-fs.js';

export type FsOp = keyof WriteFs;

interface Fault {
  op: FsOp;
  /** Calls whose first path contains this fail. */
  match: string;
  code: string;
  /** Failures left; Infinity until `heal()`. */
  left: number;
  partial: boolean;
  hang: boolean;
}

/**
 * A WriteFs over the real one that fails chosen calls the way a full or
 * read-only disk does: it rejects with a Node-style error (`code` ENOSPC,
 * EACCES, …). Used through the seam the Registry and the Mailbox take.
 */
export class FaultyFs implements WriteFs {
  /** Every call, in order: the operation, its first path, and whether it was failed. */
  readonly calls: { op: FsOp; file: string; failed: boolean }[] = [];
  private faults: Fault[] = [];

  constructor(private readonly real: WriteFs = nodeWriteFs) {}

  /**
   * Make the next `times` calls of `op` (all of them by default, until
   * `heal()`) whose path contains `match` fail with `code`. With `partial`,
   * a failing append first writes the first half of its data, as a disk that
   * fills up in the middle of a write does.
   */
  fail(op: FsOp, code: string, options: { times?: number; match?: string; partial?: boolean } = {}): this {
    this.faults.push({ op, code, match: options.match ?? '', left: options.times ?? Infinity, partial: options.partial ?? false, hang: false });
    return this;
  }

  /** Make every call of `op` whose path contains `match` never settle (a hung disk). */
  hang(op: FsOp, match = ''): this {
    this.faults.push({ op, code: '', match, left: Infinity, partial: false, hang: true });
    return this;
  }

  /** Remove every fault: calls go to the real file system again. */
  heal(): void {
    this.faults = [];
  }

  /** How many calls of `op` were failed so far. */
  failed(op: FsOp): number {
    return this.calls.filter((c) => c.op === op && c.failed).length;
  }

  /** How many calls of `op` went through to the real file system. */
  succeeded(op: FsOp): number {
    return this.calls.filter((c) => c.op === op && !c.failed).length;
  }

  writeFileAtomic(file: string, data: string, options: { mode: number }): Promise<void> {
    return this.run('writeFileAtomic', file, () => this.real.writeFileAtomic(file, data, options));
  }

  appendFile(file: string, data: string, options: { mode: number }): Promise<void> {
    return this.run('appendFile', file, () => this.real.appendFile(file, data, options), () =>
      this.real.appendFile(file, data.slice(0, Math.floor(data.length / 2)), options),
    );
  }

  rename(from: string, to: string): Promise<void> {
    // A move into cur/ or bad/ is matched on its target.
    return this.run('rename', `${from} -> ${to}`, () => this.real.rename(from, to));
  }

  writeFile(file: string, data: string, options: { mode: number }): Promise<void> {
    return this.run('writeFile', file, () => this.real.writeFile(file, data, options));
  }

  size(file: string): Promise<number> {
    return this.run('size', file, () => this.real.size(file));
  }

  truncate(file: string, length: number): Promise<void> {
    return this.run('truncate', file, () => this.real.truncate(file, length));
  }

  private async run<T>(op: FsOp, file: string, real: () => Promise<T>, partial?: () => Promise<void>): Promise<T> {
    const fault = this.faults.find((f) => f.op === op && f.left > 0 && file.includes(f.match));
    if (!fault) {
      this.calls.push({ op, file, failed: false });
      return real();
    }
    this.calls.push({ op, file, failed: true });
    if (fault.hang) return new Promise<T>(() => undefined);
    fault.left--;
    if (fault.partial && partial) await partial();
    throw Object.assign(new Error(`${fault.code}: injected failure, ${op} '${file}'`), { code: fault.code, syscall: op, path: file });
  }
}
