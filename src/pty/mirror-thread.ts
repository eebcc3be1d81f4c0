/**
 * The mirror thread: parses every worker's PTY output into its headless
 * xterm, off the deck's main thread, so reading a PTY and parsing its output
 * overlap. Messages: see src/pty/mirror-pool.ts.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { releaseHeap } from './heap.js';
import { ScreenMirror } from './mirror.js';
import type { ToThread, FromThread } from './mirror-pool.js';

const port = parentPort;
if (!port) throw new Error('mirror-thread.js runs only as a worker thread');
// Parsing yields to the main thread: keystrokes and replies must not wait behind a flood.
// Linux nice values are per thread; /proc/thread-self names this thread's id.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) setPriority(tid, 5);
} catch {
  // Not Linux, or not allowed: parse at normal priority.
}
const mirrors = new Map<number, ScreenMirror>();
const post = (message: FromThread) => port.postMessage(message);

port.on('message', (m: ToThread) => {
  if (m.t === 'create') {
    mirrors.set(m.id, new ScreenMirror(m.cols, m.rows));
    return;
  }
  if (m.t === 'release') {
    releaseHeap();
    return;
  }
  const mirror = mirrors.get(m.id);
  if (!mirror) {
    if ('req' in m) post({ t: 'reply', req: m.req, value: null });
    return;
  }
  switch (m.t) {
    case 'write':
      mirror.write(m.data, () =>
        post({ t: 'parsed', id: m.id, n: m.n, bp: mirror.bracketedPaste, sb: mirror.scrollbackLength }),
      );
      return;
    case 'resize':
      mirror.resize(m.cols, m.rows);
      return;
    case 'flush':
      mirror.write('', () => post({ t: 'reply', req: m.req, value: true }));
      return;
    case 'rows':
      // Reads see everything written before them.
      mirror.write('', () =>
        post({ t: 'reply', req: m.req, value: m.plain ? mirror.textRows() : mirror.styledRows(m.scrollBack) }),
      );
      return;
    case 'serialize':
      mirror.write('', () => post({ t: 'reply', req: m.req, value: mirror.serialize() }));
      return;
    case 'active':
      mirror.write('', () => post({ t: 'reply', req: m.req, value: mirror.serializeActive() }));
      return;
    case 'watch': {
      const { id, gen } = m;
      mirror.watchSwitches(m.on ? (change) => post({ t: 'switch', id, gen, alt: change.alt, screen: change.screen }) : null);
      return;
    }
    case 'dispose':
      mirror.dispose();
      mirrors.delete(m.id);
      return;
  }
});
