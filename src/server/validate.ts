/**
 * Validation: the config's `validate` command (e.g. `npm test`) run in a
 * worker's worktree when the worker completes, and on `v`. It runs under
 * `/bin/sh -c` in a process group of its own, with a timeout, its output in
 * `<state>/workers/<id>/validate.log`; it never blocks the deck. Each start
 * and end is a `worker-validation` event. On a failure, while
 * `validate.retries` allows, the worker is nudged with the failing command
 * and the tail of its output (not a shell worker: it would run it as a command).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { ValidateSpec } from '../agents/config.js';
import type { Validation } from '../core/review.js';
import { sanitize } from '../core/mail.js';
import { canNudge, hasLiveProcess } from '../core/worker.js';
import type { Deck } from '../deck.js';
import { signalGroup } from '../registry/pid.js';

/** Grace between SIGTERM and SIGKILL for a validate command that timed out, in ms. */
const KILL_GRACE_MS = 2000;
/** Bytes of the log's end kept in the record for `i`. */
const TAIL_BYTES = 2048;

export interface ValidatorOptions {
  /** The validate command for a preset, or null when none is configured. */
  specFor: (agent: string) => ValidateSpec | null;
  /** The user's environment (the server's own, as workers get it). */
  env: NodeJS.ProcessEnv;
  now: () => number;
}

export class Validator {
  /** Process group ids of the validate commands running, by worker id. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly deck: Deck,
    private readonly options: ValidatorOptions,
  ) {
    // Every validate command has an owner: none outlives the server.
    process.on('exit', () => this.killAll());
  }

  /** A worker completed: validate it when a command is configured (silently nothing otherwise). */
  onCompleted(id: string): void {
    const worker = this.deck.getState().workers[id];
    if (!worker || !this.options.specFor(worker.agent) || this.running.has(id)) return;
    void this.start(id).catch((error: Error) => this.deck.warn(`Cannot validate ${worker.name}: ${error.message}`));
  }

  /**
   * Start the validate command for a worker now.
   * @returns the running record (the result comes as a `worker-validation` event)
   * @throws Error when no command is configured for its preset, or one runs already
   */
  async start(id: string): Promise<Validation> {
    const worker = this.deck.getState().workers[id];
    if (!worker) throw new Error(`No worker "${id}" in this deck.`);
    const spec = this.options.specFor(worker.agent);
    if (!spec) {
      throw new Error(`No validate command in the config: add "validate": "npm test" to .workerdeck.json (or to presets.${worker.agent}).`);
    }
    if (this.running.has(id)) throw new Error(`The validation of ${worker.name} is already running.`);
    const log = path.join(this.deck.layout.workerFiles, id, 'validate.log');
    await mkdir(path.dirname(log), { recursive: true, mode: 0o700 });
    const previous = worker.validation;
    const record: Validation = {
      status: 'running',
      command: spec.command,
      exitCode: null,
      startedAt: this.options.now(),
      finishedAt: null,
      log,
      tail: '',
      nudges: previous && previous.status !== 'passed' ? previous.nudges : 0,
    };
    const fd = openSync(log, 'w', 0o600);
    let child;
    try {
      child = spawn('/bin/sh', ['-c', spec.command], { cwd: worker.worktree ?? worker.cwd, detached: true, stdio: ['ignore', fd, fd], env: this.options.env });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error(`Cannot start /bin/sh for "${spec.command}".`);
    this.running.set(id, pid);
    this.deck.dispatch({ type: 'worker-validation', id, validation: record });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(pid, 'SIGTERM');
      setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, spec.timeout * 1000);
    child.once('error', () => undefined);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Whatever the command left running in its group ends with it.
      signalGroup(pid, 'SIGKILL');
      this.running.delete(id);
      void this.finish(id, record, spec, timedOut ? null : code, timedOut);
    });
    return record;
  }

  private async finish(id: string, started: Validation, spec: ValidateSpec, exitCode: number | null, timedOut: boolean): Promise<void> {
    const tail = sanitize(await readTail(started.log));
    const done: Validation = {
      ...started,
      status: timedOut ? 'timed-out' : exitCode === 0 ? 'passed' : 'failed',
      exitCode,
      finishedAt: this.options.now(),
      tail,
      ...(exitCode === 0 && !timedOut ? { nudges: 0 } : {}),
    };
    if (!this.deck.getState().workers[id]) return;
    this.deck.dispatch({ type: 'worker-validation', id, validation: done });
    const worker = this.deck.getState().workers[id];
    if (done.status === 'passed' || !worker || done.nudges >= spec.retries || !hasLiveProcess(worker) || !this.deck.isRunning(id)) return;
    // A shell would run the nudge as a command (as the u key, the watchdog and resumeAfterLimit refuse to).
    if (!canNudge(worker)) return this.deck.warn(`${worker.name}'s validation failed; a shell worker is not nudged (validate.retries).`);
    const how = timedOut ? `timed out after ${spec.timeout} s` : `exited with code ${exitCode}`;
    const lines = tail.split('\n').map((l) => l.trim()).filter(Boolean).slice(-5).join(' | ').slice(-500);
    // One line: a worker's prompt takes it whole.
    const text = `Validation failed: "${spec.command}" ${how}. Its output ends with: ${lines || '(no output)'}. Please fix this, then report with complete again.`;
    try {
      await this.deck.type(id, text, 'nudge');
      const now = this.deck.getState().workers[id]?.validation;
      if (now && now.startedAt === done.startedAt) this.deck.dispatch({ type: 'worker-validation', id, validation: { ...now, nudges: now.nudges + 1 } });
    } catch (error) {
      this.deck.warn(`Could not nudge ${worker.name} after its validation failed: ${(error as Error).message}`);
    }
  }

  /** SIGKILL every validate command's process group (the server is exiting). */
  killAll(): void {
    for (const pid of this.running.values()) signalGroup(pid, 'SIGKILL');
    this.running.clear();
  }
}


/** The last TAIL_BYTES of a log, from a line start. */
async function readTail(file: string): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
