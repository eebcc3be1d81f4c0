/**
 * The client subcommands: the TUI, `serve`, `attach`, `spawn`, `send`,
 * `stop`, `logs`, `events`, `kill-server`. Each talks to the state dir's
 * `workerdeck serve` through the protocol; only the TUI and `spawn` start a
 * server when none runs.
 */
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ExitGuard } from '../process-exit.js';
import { createInterface } from 'node:readline';
import { spawnGit } from '../git/spawn-git.js';
import { processRunning } from '../registry/pid.js';
import { binPath } from '../paths.js';
import { chooseStateDir, prepareStateDir, stateLayout, type StateDirChoice, type StateLayout } from '../registry/state-dir.js';
import { Connection, connectOrStart, NoServerError } from './connection.js';
import { openAttach, RemoteDeck } from './remote-deck.js';
import type { DeckEvent } from '../core/deck-state.js';

/** A one-line error for the operator; the CLI prints it and exits 1. */
export class CliError extends Error {}

export interface CommonFlags {
  stateDir?: string | undefined;
}

/** The state dir and repo for the cwd and flags. */
export async function locate(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): Promise<StateDirChoice & { layout: StateLayout }> {
  const choice = await chooseStateDir({ flag: flags.stateDir, env, cwd: process.cwd(), git: spawnGit() });
  return { ...choice, layout: stateLayout(choice.dir) };
}

/** How a client starts the server: this Node and this install's bin/workerdeck.js, in the cwd, with the user's environment. */
function serverStart(): { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  return { command: process.execPath, args: [binPath()], cwd: process.cwd(), env: process.env };
}

/** Connect to the running server, or start one. */
export async function connectStarting(layout: StateLayout, version: string): Promise<{ connection: Connection; started: boolean }> {
  await prepareStateDir(layout.dir);
  return connectOrStart(layout, version, serverStart());
}

/**
 * Connect to the running server.
 * @throws CliError when none runs
 */
export async function connectRunning(layout: StateLayout, version: string): Promise<Connection> {
  try {
    return await Connection.open(layout.socket, version);
  } catch (error) {
    if (error instanceof NoServerError) {
      throw new CliError(`No workerdeck server runs for ${layout.dir}. Start one with workerdeck (or workerdeck spawn).`);
    }
    throw error;
  }
}

/** Run `fn` on a control connection to the running server, then close it. */
async function withServer<T>(flags: CommonFlags, version: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const { layout } = await locate(flags);
  const connection = await connectRunning(layout, version);
  try {
    return await fn(connection);
  } finally {
    connection.close();
  }
}

/** `workerdeck spawn [--agent p] [--name n] [--no-worktree] [--base b] [--] <task>`: prints the new worker's id. */
export async function spawnCommand(
  task: string,
  flags: CommonFlags & {
    agent?: string | undefined;
    name?: string | undefined;
    worktree: boolean;
    base?: string | undefined;
    skipPermissions?: boolean | undefined;
    timeout?: number | undefined;
    idleTimeout?: number | undefined;
  },
  version: string,
): Promise<number> {
  const { layout, repo } = await locate(flags);
  const { connection } = await connectStarting(layout, version);
  try {
    const presets = connection.welcome.presets.map((p) => p.name);
    const agent = flags.agent ?? (presets.includes('shell') ? 'shell' : presets[0] ?? 'shell');
    const worker = await connection.request({
      type: 'spawn',
      request: {
        task,
        name: flags.name ?? '',
        agent,
        worktree: flags.worktree && repo !== null,
        base: flags.base ?? '',
        skipPermissions: flags.skipPermissions ?? false,
        ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
        ...(flags.idleTimeout !== undefined ? { idleTimeout: flags.idleTimeout } : {}),
      },
    });
    process.stdout.write(`${worker.id}\n`);
    // stdout stays the id alone, for scripts; the queue is news for the person.
    if (worker.status === 'queued') process.stderr.write(`${worker.name} is queued: maxWorkers are running; it starts when a slot frees.\n`);
    return 0;
  } finally {
    connection.close();
  }
}

/** `workerdeck send <worker> <text>`: types a reply into the worker as `r` does, answering its open question. */
export async function sendCommand(worker: string, text: string, flags: CommonFlags, version: string): Promise<number> {
  return withServer(flags, version, async (c) => {
    const state = await c.request({ type: 'state' });
    const target = Object.values(state.workers).find((w) => w.id === worker || w.name === worker);
    const answered = new Set(state.replies.flatMap((r) => (r.inReplyTo ? [r.inReplyTo] : [])));
    const question = target
      ? state.mail.find((m) => m.workerId === target.id && m.type === 'question' && !answered.has(m.id) && !target.answered.includes(m.id))
      : undefined;
    await c.request({ type: 'send', id: worker, text, kind: 'reply', inReplyTo: question?.id ?? null });
    return 0;
  });
}

/** `workerdeck stop <worker>`: stops it (its whole session); resolves once nothing of it is left. */
export async function stopCommand(worker: string, flags: CommonFlags, version: string): Promise<number> {
  return withServer(flags, version, async (c) => {
    const record = await c.request({ type: 'stop', id: worker });
    process.stdout.write(`Stopped ${record?.name ?? worker}. Its worktree and branch are kept.\n`);
    return 0;
  });
}

/**
 * `workerdeck logs <worker> [--transcript] [--follow]`: the worker's screen as
 * plain text; with --transcript the raw tail of its transcript; with --follow
 * its raw output from now on, until it exits or Ctrl-C.
 */
export async function logsCommand(worker: string, flags: CommonFlags & { follow: boolean; transcript: boolean }, version: string): Promise<number> {
  const { layout } = await locate(flags);
  const c = await connectRunning(layout, version);
  try {
    if (flags.transcript) process.stdout.write(await c.request({ type: 'transcript', id: worker, maxBytes: 1024 * 1024 }));
    else if (!flags.follow) process.stdout.write(`${(await c.request({ type: 'screen', id: worker, plain: true })).join('\n').replace(/\n+$/, '')}\n`);
  } finally {
    c.close();
  }
  if (!flags.follow) return 0;
  const channel = await openAttach(layout.socket, version, worker, 80, 24, true);
  await new Promise<void>((resolve) => {
    channel.onData((data) => process.stdout.write(data));
    channel.onEnd(resolve);
    process.once('SIGINT', () => {
      channel.close();
      resolve();
    });
  });
  return 0;
}

/** One event as a line for people: time, type, worker, and the gist. */
function eventLine(at: string, type: string, fields: Record<string, unknown>): string {
  const worker = (fields.worker as { name?: string } | undefined)?.name ?? fields.id ?? (fields.message as { workerId?: string } | undefined)?.workerId ?? '';
  const gist = (fields.text ?? fields.reason ?? (fields.message as { content?: string } | undefined)?.content ?? '') as string;
  return `${at}  ${type.padEnd(15)} ${String(worker).padEnd(12)} ${String(gist).replace(/\s+/g, ' ').slice(0, 100)}`.trimEnd();
}

/**
 * `workerdeck events [--follow] [--json]`: the audit log (events.jsonl), then
 * with --follow every new event from the server as it happens.
 */
export async function eventsCommand(flags: CommonFlags & { follow: boolean; json: boolean }, version: string): Promise<number> {
  const { layout } = await locate(flags);
  const text = await readFile(layout.eventsFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (flags.json) {
      process.stdout.write(`${line}\n`);
      continue;
    }
    try {
      const { at, type, ...rest } = JSON.parse(line) as { at: string; type: string } & Record<string, unknown>;
      process.stdout.write(`${eventLine(at, type, rest)}\n`);
    } catch {
      // A torn last line of a crashed writer: skip it.
    }
  }
  if (!flags.follow) return 0;
  const c = await connectRunning(layout, version);
  c.onFrame((f) => {
    if (f.t !== 'event' || f.event.type === 'activity') return;
    const { type, ...rest } = f.event as DeckEvent & Record<string, unknown>;
    const at = new Date().toISOString();
    process.stdout.write(flags.json ? `${JSON.stringify({ ...rest, at, type })}\n` : `${eventLine(at, type, rest)}\n`);
  });
  c.send({ t: 'subscribe' });
  await new Promise<void>((resolve) => {
    c.onClose(() => resolve());
    process.once('SIGINT', () => {
      c.close();
      resolve();
    });
  });
  return 0;
}

/** Ask a y/n question on the terminal; false without one. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(`${question} (y/n) `, resolve));
  rl.close();
  return /^y/i.test(answer.trim());
}

/** `workerdeck kill-server [--yes]`: stops every worker (whole sessions) and the server. */
export async function killServerCommand(flags: CommonFlags & { yes: boolean }, version: string): Promise<number> {
  const { layout } = await locate(flags);
  const c = await connectRunning(layout, version);
  try {
    const state = await c.request({ type: 'state' });
    const running = Object.values(state.workers).filter((w) => w.pid !== null && w.endedAt === null).length;
    if (!flags.yes && !(await confirm(`Stop ${running} running worker${running === 1 ? '' : 's'} and the workerdeck server?`))) {
      process.stderr.write('Nothing was stopped. Pass --yes to stop the server without a question.\n');
      return 1;
    }
    const pid = c.welcome.pid;
    const gone = new Promise<void>((resolve) => c.onClose(() => resolve()));
    await c.request({ type: 'kill-server' });
    await gone;
    // The server closes its clients once its workers are gone; its own exit follows at once.
    const deadline = Date.now() + 3000;
    while (processRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    process.stdout.write(`Stopped the workerdeck server (pid ${pid}) and ${running} worker${running === 1 ? '' : 's'}. Worktrees are kept.\n`);
    return 0;
  } finally {
    c.close();
  }
}

/** `workerdeck attach <worker>`: full-screen passthrough from this terminal; the detach key returns to the shell. */
export async function attachCommand(worker: string, flags: CommonFlags, version: string, detachKeyName: string): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError('workerdeck attach needs a terminal.');
  }
  const { parseDetachKey } = await import('../core/detach-key.js');
  const { attachTerminal } = await import('./attach.js');
  const { TerminalHost } = await import('./terminal.js');
  const detachKey = parseDetachKey(detachKeyName);
  const { layout } = await locate(flags);
  const control = await connectRunning(layout, version);
  const host = new TerminalHost(process.stdin, process.stdout);
  let channel;
  try {
    channel = await openAttach(layout.socket, version, worker, host.cols, host.rows);
  } catch (error) {
    control.close();
    throw new CliError((error as Error).message);
  }
  // The alternate screen first: the worker's first paint may already be here, and must land on it.
  // (Keys arrive in later turns of the event loop, once `p` is set.)
  let p: ReturnType<typeof attachTerminal> | null = null;
  host.open((data) => p?.input(data));
  p = attachTerminal(channel, host, worker, detachKey);
  const onResize = () => void control.request({ type: 'resize-worker', id: worker, cols: host.cols, rows: host.rows }).catch(() => undefined);
  process.stdout.on('resize', onResize);
  const onSignal = () => channel.close();
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const end = await p.ended;
  process.stdout.off('resize', onResize);
  host.restore(true);
  control.close();
  process.stderr.write(end.how === 'detached' ? `Detached from ${worker}.\n` : `${worker} is no longer attached (it exited, or the server went away).\n`);
  return 0;
}

/**
 * `workerdeck`: the TUI client. Connects to the state dir's server, starting
 * it when none runs, and runs full-screen until the operator quits; the
 * workers run on in the server.
 * @returns the exit code; prints the line the TUI ended with
 */
export async function openDeck(
  flags: CommonFlags & { agent?: string | undefined; theme?: string | undefined; skipPermissions?: boolean | undefined },
  version: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('workerdeck needs a terminal: run it in an interactive terminal, not with piped input or output.\n');
    return 2;
  }
  const cwd = process.cwd();
  // Ink's layout engine (yoga) decodes its embedded wasm through fetch() when there is one,
  // which makes Node load its whole HTTP stack first; without fetch it decodes the bytes directly.
  const fetchProperty = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  Reflect.deleteProperty(globalThis, 'fetch');
  const loading = Promise.all([import('../agents/config.js'), import('../agents/index.js'), import('../ui/index.js'), import('./tui.js')]);
  const { layout, repo } = await locate(flags, env);
  const connecting = connectStarting(layout, version);
  const [{ loadConfigTolerant }, agents, ui, { runTui }] = await loading.finally(() => {
    if (fetchProperty) Object.defineProperty(globalThis, 'fetch', fetchProperty);
  });
  const { config, warnings } = await loadConfigTolerant(env, repo?.top ?? null);
  const { connection } = await connecting;
  const client = await RemoteDeck.connect(connection, layout.socket, version);
  const names = client.presets.map((p) => p.name);
  let defaultAgent: string;
  try {
    defaultAgent = agents.pickDefaultAgentFrom(names, (n) => client.presets.find((p) => p.name === n)?.problem === null, flags.agent, config);
  } catch (error) {
    warnings.push(`${(error as Error).message} Using the shell preset.`);
    defaultAgent = 'shell';
  }
  let theme = ui.NO_COLOR_THEME;
  if (!('NO_COLOR' in env) || env.NO_COLOR === '') {
    try {
      theme = await ui.loadTheme(flags.theme ?? config.theme ?? 'default', cwd);
    } catch (error) {
      warnings.push(`${(error as Error).message} Using the default theme.`);
      theme = await ui.loadTheme('default', cwd);
    }
  }
  let keymap;
  try {
    keymap = ui.buildKeymap(config.keys);
  } catch (error) {
    warnings.push(`${(error as Error).message} Using the default keys.`);
    keymap = ui.buildKeymap({});
  }
  let detachKey;
  try {
    detachKey = ui.parseDetachKey(config.detachKey);
  } catch (error) {
    warnings.push(`${(error as Error).message} Using ctrl+].`);
    detachKey = ui.parseDetachKey('ctrl+]');
  }
  // This client's own config problems go to the deck's warnings (w), like the server's.
  for (const text of warnings) {
    if (!client.getState().warnings.some((w) => w.text === text)) await client.execute({ type: 'warn', text }).catch(() => undefined);
  }
  const store = ui.createAppStore(process.stdout.columns || 80, process.stdout.rows || 24);
  const guard = new ExitGuard();
  const exit = await runTui({
    exit: guard,
    client,
    store,
    theme,
    keymap,
    detachKey,
    nudgeText: config.nudge,
    notify: config.notify,
    spawnDefaults: () => ({
      agent: defaultAgent,
      worktree: repo !== null,
      base: repo?.branch ?? '',
      skipPermissions: flags.skipPermissions ?? config.skipPermissions,
    }),
  });
  client.close();
  if (exit.message) {
    try {
      writeSync(2, `${exit.message}\n`);
    } catch {
      // No terminal to tell.
    }
  }
  // A moment for the terminal emulator to read the restore before the PTY's slave side closes
  // (node-pty and others can drop a child's last bytes when it exits at once), well inside the
  // exit budget; then nothing pending (a hung-up terminal's handles, a timer) may keep the client alive.
  await guard.within(new Promise((resolve) => setTimeout(resolve, 100)), 100);
  guard.exitNow(exit.code);
  return exit.code;
}

/**
 * `workerdeck restore <worker>`: bring a removed worker's branch and worktree
 * back from `refs/workerdeck/trash/<branch>` (its commits, and its
 * uncommitted files as uncommitted files). Starts the server when none runs.
 */
export async function restoreCommand(key: string, flags: CommonFlags, version: string): Promise<number> {
  const { layout } = await locate(flags);
  const { connection } = await connectStarting(layout, version);
  try {
    const r = await connection.request({ type: 'restore', key });
    const files = r.restoredFiles > 0 ? `, with ${r.restoredFiles} uncommitted file${r.restoredFiles === 1 ? '' : 's'}` : '';
    process.stdout.write(`Restored ${r.branch} in ${r.worktree}${files}.\n`);
    return 0;
  } finally {
    connection.close();
  }
}

/**
 * `workerdeck prune`: list orphans (worktrees under .worktrees/ no worker
 * owns, worker/* branches with no worker, list entries whose worktree is
 * gone, trash older than 30 days), remove the safe ones, keep the rest with
 * the reason. Starts the server when none runs.
 */
export async function pruneCommand(flags: CommonFlags, version: string): Promise<number> {
  const { layout } = await locate(flags);
  const { connection } = await connectStarting(layout, version);
  try {
    const items = await connection.request({ type: 'prune' });
    if (items.length === 0) process.stdout.write('No orphans: every worktree and worker branch belongs to a worker.\n');
    for (const item of items) process.stdout.write(`${item.removed ? 'removed' : 'kept   '}  ${item.kind.padEnd(8)} ${item.name}: ${item.reason}\n`);
    return 0;
  } finally {
    connection.close();
  }
}
