import { chmod, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../agents/common.js';
import { agentFactories } from '../agents/builtin.js';
import { askWaitFor, loadConfigTolerant, validateFor, watchdogFor } from '../agents/config.js';
import { buildPresets, isInstalled } from '../agents/index.js';
import type { PresetInfo } from '../core/protocol.js';
import { Deck } from '../deck.js';
import type { GitRunner } from '../git/git.js';
import type { RepoInfo } from '../git/worktree.js';
import { Mailbox, loadMailHistory } from '../mail/mailbox.js';
import { recoverAuditLines } from '../mail/audit.js';
import { binPath } from '../paths.js';
import { spawnNodePty } from '../pty/node-pty-host.js';
import { takeLock } from '../registry/lock.js';
import { loadState, Registry } from '../registry/registry.js';
import { prepareStateDir, type StateLayout } from '../registry/state-dir.js';
import { DeckServer } from './server.js';
import { EXIT_STOP_GRACE_MS, ExitGuard } from '../process-exit.js';
import { sessionPids } from '../pty/session.js';
import { readFileSync } from 'node:fs';
import { hasLiveProcess, type WorkerRecord } from '../core/worker.js';
import { ReviewService } from './review.js';
import { Watchdog } from './watchdog.js';
import { LimitWatch } from './limits.js';
import { Permissions } from './permissions.js';
import { Notifier, shellNotifyRunner } from './notify.js';
import { SpawnQueue } from './queue.js';

/**
 * Processes a dead server's workers left behind: those still in a worker's
 * PTY session (its pid is the session id) that ignored the hangup when the
 * PTY closed. Only processes whose environment names this state dir and that
 * worker are taken (a pid can be reused); Linux only (/proc/<pid>/environ).
 * They are SIGKILLed.
 * @returns the pids that were killed
 */
function reapOrphanSessions(workers: WorkerRecord[], stateDir: string): number[] {
  if (process.platform !== 'linux') return [];
  const killed: number[] = [];
  for (const worker of workers) {
    if (!hasLiveProcess(worker) || worker.pid === null) continue;
    for (const pid of sessionPids(worker.pid, 1000)) {
      let environ: string[];
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      } catch {
        continue;
      }
      if (!environ.includes(`WORKERDECK_STATE_DIR=${stateDir}`) || !environ.includes(`WORKERDECK_WORKER_ID=${worker.id}`)) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // Gone meanwhile.
      }
    }
  }
  return killed;
}


export interface ServeOptions {
  stateDir: string;
  repo: RepoInfo | null;
  cwd: string;
  /** The user's environment (workers inherit it). */
  env: NodeJS.ProcessEnv;
  git: GitRunner;
  version: string;
}

/** Write `<state>/bin/workerdeck`, the launcher every worker's PATH starts with. */
async function writeLauncher(layout: StateLayout): Promise<string> {
  const file = path.join(layout.binDir, 'workerdeck');
  await writeFile(file, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(binPath())} "$@"\n`, { mode: 0o755 });
  await chmod(file, 0o755);
  return file;
}

/** One log line with an ISO time, to stderr (which is `<state>/server.log` when a client started the server). */
function log(line: string): void {
  try {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  } catch {
    // The log is gone: nothing to tell.
  }
}

/** Worktrees under `<repo>/.worktrees/` that no worker of the deck owns. */
async function orphanWorktrees(repo: RepoInfo | null, owned: Set<string>): Promise<string[]> {
  if (!repo) return [];
  const dir = path.join(repo.mainTop, '.worktrees');
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map((n) => path.join(dir, n)).filter((p) => !owned.has(p));
}

/**
 * `workerdeck serve`: own the Deck (PTYs, mirrors, mail, worktrees, registry)
 * behind `<state>/server.sock` until asked to stop, or until it has had no
 * workers and no clients for `serverIdleExit` seconds. It never touches a
 * terminal: SIGHUP is ignored, logs go to stderr. Every exit path stops the
 * workers' whole sessions and ends the process within 2 s.
 * @returns never normally: the process exits; rejects when the server cannot start
 *   (another server holds the lock: exit code 3).
 */
export async function serve(o: ServeOptions): Promise<number> {
  const layout = await prepareStateDir(o.stateDir);
  const releaseLock = await takeLock(layout);
  await mkdir(path.dirname(layout.socket), { recursive: true, mode: 0o700 });
  const launcher = await writeLauncher(layout);
  const { config, warnings } = await loadConfigTolerant(o.env, o.repo?.top ?? null);
  const presets = buildPresets(config, agentFactories);
  let deck: Deck | null = null;
  const registry = new Registry(layout.stateFile, layout.eventsFile, (m) => deck?.warn(m));
  deck = new Deck({ spawner: spawnNodePty, git: o.git, layout, registry, presets, repo: o.repo, cwd: o.cwd, env: o.env, launcher, askWaitFor: (agent) => askWaitFor(config, agent) });
  const theDeck = deck;
  // Diffstats, the conflict radar and validation follow the deck's events from the start; m uses the config's strategy.
  ReviewService.of(theDeck, { strategy: config.mergeStrategy, validateFor: (agent) => validateFor(config, agent), env: o.env });
  // Watchdogs follow the deck's events too: timeout, idleTimeout, per spawn, preset or config.
  // Spawns beyond maxWorkers wait in the queue; it follows the deck's exits (and the restore below).
  SpawnQueue.of(theDeck, config.maxWorkers);
  // Permission hooks wait this long for the operator's y / A / N (issue 12).
  Permissions.of(theDeck, config.permissionTimeout * 1000);
  if (config.notify.command) new Notifier(theDeck, shellNotifyRunner(config.notify.command, config.notify.timeout * 1000, o.env));
  // Both read a worker's settings and nudge text the same way; usage limits end at their reset.
  const perWorker = { specFor: (w: WorkerRecord) => watchdogFor(config, w.agent, w.watchdog), nudgeFor: () => config.nudge };
  new Watchdog(theDeck, perWorker);
  new LimitWatch(theDeck, perWorker);
  let saved = null;
  try {
    saved = await loadState(layout.stateFile);
  } catch (error) {
    const aside = `${layout.stateFile}.broken-${Date.now()}`;
    await rename(layout.stateFile, aside).catch(() => undefined);
    warnings.push(`${(error as Error).message} It was moved to ${aside}; the deck starts with an empty list.`);
  }
  const leftovers = reapOrphanSessions(saved?.workers ?? [], layout.dir);
  if (leftovers.length > 0) {
    warnings.push(`Ended ${leftovers.length} process${leftovers.length === 1 ? '' : 'es'} (${leftovers.join(', ')}) that workers of the stopped server had left running.`);
  }
  // Mail the previous server handled but did not get to log (killed in between) gets its audit line first.
  const recovered = await recoverAuditLines(layout, registry);
  if (recovered > 0) log(`recovered ${recovered} audit line${recovered === 1 ? '' : 's'} of mail handled just before the last server stopped`);
  theDeck.restore(saved, await loadMailHistory(layout, saved), 'the server stopped');
  for (const w of warnings) theDeck.warn(w);
  const owned = new Set(Object.values(theDeck.getState().workers).flatMap((w) => (w.worktree ? [w.worktree] : [])));
  for (const orphan of await orphanWorktrees(o.repo, owned)) {
    theDeck.warn(`Orphan worktree ${orphan}: no worker of this deck owns it. Its branch is kept; workerdeck prune removes it when it is clean and merged.`);
  }
  const mailbox = new Mailbox(layout, theDeck.mailboxHandlers());
  const presetInfo: PresetInfo[] = [...presets.values()].map((p) => ({
    name: p.name,
    description: p.description,
    supportsSkipPermissions: p.supportsSkipPermissions,
    canResume: p.resume !== undefined,
    problem: isInstalled(p, o.env, o.cwd) ? null : (p.installHint ?? `"${p.command}" is not on PATH`),
  }));
  const label = o.repo ? `${path.basename(o.repo.mainTop)}${o.repo.branch ? ` (${o.repo.branch})` : ''}` : o.cwd;

  const exit = new ExitGuard();
  // The watchdog's last words: whatever hangs, no process of any worker's session outlives the server.
  exit.onLastWords(() => theDeck.killAllNow());
  let stopping: Promise<void> | null = null;
  const stop = (code: number, why: string): Promise<void> => {
    if (stopping) return stopping;
    log(`stopping: ${why}`);
    exit.begin(code);
    stopping = (async () => {
      await exit.within(mailbox.close(), 300);
      await exit.within(theDeck.shutdown(EXIT_STOP_GRACE_MS, `the server stopped (${why})`));
      theDeck.killAllNow();
      // Clients see the connection close only once no worker is left.
      server.close();
      // Bounded: a broken disk must not keep the server from stopping.
      if (!(await registry.flush({ deadlineMs: Math.min(500, exit.remainingMs()) }).catch(() => false))) {
        log(`the last changes could not be written to ${layout.dir} (${registry.failures().join(', ') || 'the writes did not finish in time'})`);
      }
      await exit.within(releaseLock());
      exit.exitNow(code);
    })();
    return stopping;
  };

  let idleTimer: NodeJS.Timeout | null = null;
  const checkIdle = () => {
    const idle = server.clientCount === 0 && theDeck.runningIds().length === 0;
    if (!idle || config.serverIdleExit === 0) {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      return;
    }
    idleTimer ??= setTimeout(() => void stop(0, `no workers and no clients for ${config.serverIdleExit} s`), config.serverIdleExit * 1000);
  };
  const server = new DeckServer({
    deck: theDeck,
    socketPath: layout.socket,
    version: o.version,
    label,
    presets: presetInfo,
    onKillServer: () => void stop(0, 'kill-server'),
    onClients: checkIdle,
    log,
  });
  theDeck.subscribe((_s, event) => {
    if (event.type === 'worker-started' || event.type === 'worker-exited') checkIdle();
  });

  process.on('SIGHUP', () => log('SIGHUP ignored: the server outlives terminals'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  const fatal = (error: unknown) => {
    log(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    exit.exitNow(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.on('exit', () => theDeck.killAllNow());

  await server.listen();
  void mailbox.start().catch((error: Error) => theDeck.warn(`Cannot watch ${layout.mail.new}: ${error.message}`));
  log(`workerdeck ${o.version} serving ${layout.dir} on ${layout.socket} (pid ${process.pid})`);
  checkIdle();
  return new Promise<number>(() => undefined);
}
