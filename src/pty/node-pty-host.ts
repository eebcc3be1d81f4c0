import { spawn as ptySpawn } from 'node-pty';
import { PtyWriter } from './pty-writer.js';
import { sessionPids, signalSession } from './session.js';
import type { PtyHandle, PtySpawner } from './types.js';

/**
 * The production PtySpawner, on node-pty. Output is decoded as UTF-8.
 * node-pty starts the child with setsid, so its pid is its session id, and
 * `killSession` reaches every process of that session, jobs in other process
 * groups and processes that outlived the child included.
 * @throws Error when node-pty cannot fork.
 */
export const spawnNodePty: PtySpawner = (options) => {
  const pty = ptySpawn(options.file, options.args, {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
  });
  let exited = false;
  // Keys on the main thread (PtyWriter); node-pty's own write where it has no master fd (Windows).
  // node-pty closes the fd when its read side ends, and reports 'close' (on the next tick, before
  // any other callback could write and before the fd number can be reused): the writer stops there.
  const raw = pty as unknown as { fd?: unknown; on(event: 'close', listener: () => void): void };
  const writer = typeof raw.fd === 'number' && raw.fd >= 0 ? new PtyWriter(raw.fd) : null;
  if (writer) raw.on('close', () => writer.close());
  pty.onExit(() => {
    exited = true;
    writer?.close();
  });
  const withChild = (pids: number[]): number[] => (exited || pids.includes(pty.pid) ? pids : [...pids, pty.pid].sort((a, b) => a - b));
  const handle: PtyHandle = {
    pid: pty.pid,
    write: (data) => {
      if (exited) return;
      if (writer) writer.write(data);
      else pty.write(data);
    },
    resize: (cols, rows) => {
      if (exited) return;
      try {
        pty.resize(Math.max(2, cols), Math.max(2, rows));
      } catch {
        // The child went away between the check and the ioctl: nothing to resize.
      }
    },
    // The PTY's own child counts until node-pty reports its exit, whatever a scan of /proc says:
    // a scan (or a shared one up to maxAgeMs old) taken before the child ran setsid does not show
    // it in its session, and a stop that signalled no one would then wait for an exit that never comes.
    sessionPids: (maxAgeMs) => withChild(sessionPids(pty.pid, maxAgeMs)),
    killSession: (signal, maxAgeMs) => {
      const signalled = signalSession(pty.pid, signal, maxAgeMs);
      if (!exited && !signalled.includes(pty.pid)) {
        try {
          process.kill(pty.pid, signal);
          signalled.push(pty.pid);
        } catch {
          // Already reaped.
        }
      }
      return signalled.length;
    },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    onData: (listener) => pty.onData(listener),
    onExit: (listener) =>
      pty.onExit(({ exitCode, signal }) =>
        listener(signal ? { exitCode: null, signal } : { exitCode, signal: null }),
      ),
  };
  return handle;
};
