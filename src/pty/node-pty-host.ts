import { spawn as ptySpawn } from 'node-pty';
import type { PtyHandle, PtySpawner } from './types.js';

/**
 * The production PtySpawner, on node-pty. Output is decoded as UTF-8.
 * `kill` signals the child's process group (node-pty starts the child with
 * setsid, so its pid is the group id), so a worker's own children go too.
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
  pty.onExit(() => {
    exited = true;
  });
  const handle: PtyHandle = {
    pid: pty.pid,
    write: (data) => {
      if (!exited) pty.write(data);
    },
    resize: (cols, rows) => {
      if (exited) return;
      try {
        pty.resize(Math.max(2, cols), Math.max(2, rows));
      } catch {
        // The child went away between the check and the ioctl: nothing to resize.
      }
    },
    kill: (signal = 'SIGTERM') => {
      try {
        process.kill(-pty.pid, signal);
      } catch {
        try {
          process.kill(pty.pid, signal);
        } catch {
          // Already gone.
        }
      }
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
