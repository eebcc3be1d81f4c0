// Mail at scale, through the built deck (server + TUI in a PTY):
// - startup_mail_ms / startup_mail_cold_ms: exec to the first full frame on a
//   state dir with 5,000 handled messages, beside the same on an empty one
//   (startup_empty_ms / startup_empty_cold_ms), runs alternated;
// - mail_drain_per_s: 3,000 messages renamed into mail/new at once while the
//   TUI shows the worker: messages per second until all are in mail/cur;
// - kill_backlog_ms: `workerdeck kill-server --yes` with 3,000 messages waiting:
//   the command's wall time (node start-up included) until the server is gone, and how many it left in mail/new for the next start.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { firstFrame } from './startup.js';
import { alive, BIN, DeckTerm, killServer, median, now, serverPid, sleep, tempDir, tempRepo, trackStateDir } from './lib.js';

/**
 * Write `count` valid mail files for `workerId` into tmp/, then rename them all into new/.
 * @param {string} stateDir @param {string} workerId @param {number} count @param {string} tag
 */
function deliver(stateDir, workerId, count, tag) {
  const tmp = path.join(stateDir, 'mail', 'tmp');
  const fresh = path.join(stateDir, 'mail', 'new');
  mkdirSync(tmp, { recursive: true });
  const names = [];
  for (let i = 0; i < count; i++) {
    const name = `${Date.now()}.${tag}${i}.json`;
    const body = { id: `${tag}${i}`, workerId, workerName: 'mailee', type: 'progress', content: `${tag} note ${i}`, timestamp: new Date().toISOString() };
    writeFileSync(path.join(tmp, name), JSON.stringify(body));
    names.push(name);
  }
  for (const name of names) renameSync(path.join(tmp, name), path.join(fresh, name));
}

const count = (/** @type {string} */ dir) => {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
};

/**
 * Wait until `test` holds, polling every 5 ms.
 * @param {() => boolean} test @param {string} what @param {number} timeoutMs
 * @returns {Promise<number>} ms waited
 */
async function until(test, what, timeoutMs) {
  const t0 = now();
  while (!test()) {
    if (now() - t0 > timeoutMs) throw new Error(`mail-scale: timed out waiting for ${what}`);
    await sleep(5);
  }
  return now() - t0;
}

/** @param {{ handled: number, backlog: number, runs: number }} o */
export async function benchMailScale({ handled, backlog, runs }) {
  const repo = tempRepo('mailscale', { defaultAgent: 'sleeper', presets: { sleeper: { command: 'sleep', args: ['1000'] } } });
  const base = tempDir('mailscale-state');
  const full = path.join(base, 'full');
  const empty = path.join(base, 'empty');
  trackStateDir(full);
  trackStateDir(empty);
  /** @type {Record<'mail_drain_per_s' | 'kill_backlog_ms' | 'kill_backlog_left' | 'startup_mail_ms' | 'startup_mail_cold_ms' | 'startup_empty_ms' | 'startup_empty_cold_ms' | 'mail_handled', number>} */
  const result = { mail_drain_per_s: 0, kill_backlog_ms: 0, kill_backlog_left: 0, startup_mail_ms: 0, startup_mail_cold_ms: 0, startup_empty_ms: 0, startup_empty_cold_ms: 0, mail_handled: 0 };
  try {
    // The full state dir: a worker, and `handled` messages handled by a real server (so state.json is its own).
    const deck = new DeckTerm({ cwd: repo, stateDir: full });
    await deck.waitForText('q quit');
    const worker = await deck.spawnWorker('wait for mail', 'mailee');
    await deck.waitForText('No mail from this worker yet');
    const cur = path.join(full, 'mail', 'cur');
    const fresh = path.join(full, 'mail', 'new');
    deliver(full, worker.id, backlog, 'drain');
    const t0 = now();
    await until(() => count(cur) >= backlog && count(fresh) === 0, 'the backlog to drain', 120_000);
    result.mail_drain_per_s = Math.round(backlog / ((now() - t0) / 1000));
    deliver(full, worker.id, handled - backlog, 'fill');
    await until(() => count(cur) >= handled && count(fresh) === 0, 'the rest to be handled', 120_000);
    await deck.detach();

    // kill-server with a backlog waiting.
    deliver(full, worker.id, backlog, 'left');
    // The command returns once the server process has ended (a zombie left for init counts as ended).
    const k0 = now();
    execFileSync(process.execPath, [BIN, 'kill-server', '--yes', '--state-dir', full], { cwd: repo, stdio: 'ignore' });
    result.kill_backlog_ms = Math.round(now() - k0);
    result.kill_backlog_left = count(fresh);
    // Let the next start find exactly `handled` handled messages: move the rest aside.
    const aside = path.join(base, 'aside');
    mkdirSync(aside, { recursive: true });
    for (const name of readdirSync(fresh)) renameSync(path.join(fresh, name), path.join(aside, name));

    // Start-up, full and empty alternated: cold (the client starts the server), then warm.
    /** @typedef {{ cold: number[], warm: number[] }} Times */
    /** @type {Times} */
    const full_ = { cold: [], warm: [] };
    /** @type {Times} */
    const empty_ = { cold: [], warm: [] };
    /** @type {[string, Times][]} */
    const dirs = [[full, full_], [empty, empty_]];
    for (let i = 0; i < runs; i++) {
      for (const [dir, into] of dirs) {
        try {
          into.cold.push(await firstFrame(repo, dir));
          into.warm.push(await firstFrame(repo, dir));
        } finally {
          killServer(dir);
          await until(() => serverPid(dir) === null || !alive(serverPid(dir) ?? 0), 'the server to end', 10_000).catch(() => undefined);
        }
      }
    }
    result.startup_mail_ms = median(full_.warm);
    result.startup_mail_cold_ms = median(full_.cold);
    result.startup_empty_ms = median(empty_.warm);
    result.startup_empty_cold_ms = median(empty_.cold);
    result.mail_handled = count(cur);
  } finally {
    killServer(full);
    killServer(empty);
  }
  return result;
}
