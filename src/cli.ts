import path from 'node:path';
import { packageRoot } from './paths.js';
import type { StateLayout } from './registry/state-dir.js';
import type { WorkerRecord } from './core/worker.js';
import type { MailType } from './core/mail.js';
import { FLAGS, packageInfo, quickDeckFlags, type CliFlags } from './cli-args.js';

const HELP = `
  Usage
    $ workerdeck [options]                 open the deck on the repo in the current dir
                                           (starts its server when none runs)
    $ workerdeck list [--json]             print the workers of this repo's deck
    $ workerdeck spawn [--agent p] [--name n] [--no-worktree] [--base b]
                       [--timeout s] [--idle-timeout s] [--] <task>
                                           start a worker; prints its id
    $ workerdeck send <worker> <text…|->   type a reply into a worker, as r does
    $ workerdeck stop <worker>             stop a worker (its whole session)
    $ workerdeck attach <worker>           attach this terminal to a worker (detach: Ctrl-])
    $ workerdeck logs <worker> [--follow] [--transcript]
                                           its screen; its raw output as it comes; its transcript
    $ workerdeck events [--follow] [--json] the audit log, then new events as they happen
    $ workerdeck restore <worker>          bring a removed worker's branch and worktree back
                                           from the trash (refs/workerdeck/trash/<branch>)
    $ workerdeck prune                     remove orphan worktrees, worker/* branches and list
                                           entries that are safe to remove; keep the rest
    $ workerdeck kill-server [--yes]       stop every worker and the server
    $ workerdeck serve                     run the server in the foreground (clients start it)
    $ workerdeck mail <kind> <text…|->     send mail from a worker to its deck
                                           kind: ask, complete, progress, error
    $ workerdeck mcp                       run the workerdeck MCP stdio server (for agents)
    $ workerdeck hook <event>              agent hook entry point (stop, notify, prompt, start, session, permission)

  Options
    --agent <preset>         default agent preset in the spawn form; (spawn) the preset
    --state-dir <dir>        state dir (default: <git common dir>/workerdeck)
    --theme <name|path>      default, light, or a theme .json file
    --skip-permissions       default the spawn form's skip-permissions toggle to on
    --json                   (list, events) print JSON
    --worker <id>            (mail) worker id, instead of $WORKERDECK_WORKER_ID
    --name <name>            (spawn) the worker's name
    --no-worktree            (spawn) run in the current dir, not a new worktree
    --base <branch>          (spawn) the base branch of its worktree
    --timeout <s>            (spawn) stop and fail it after s seconds (0: off)
    --idle-timeout <s>       (spawn) stop and fail it after s seconds with no output and no mail
    --follow                 (logs, events) keep printing as it happens
    --transcript             (logs) the raw transcript instead of the screen
    --yes                    (kill-server) do not ask
    --help, --version

  Config: $XDG_CONFIG_HOME/workerdeck/config.json and <repo>/.workerdeck.json (the repo's wins).
`;

/** Exit code for usage errors (bad arguments, not inside a worker). */
const USAGE = 2;

/**
 * The command line: `workerdeck [options]`, `list`, `mail`, `mcp`, `hook`.
 * @param argv arguments after the program name
 * @returns the process exit code: 0, 1 on an error, 2 on a usage error
 */
export async function main(argv: string[]): Promise<number> {
  // Opening the deck with its own flags skips loading meow (see cli-args.ts).
  const quick = quickDeckFlags(argv);
  if (quick) {
    const { version, title } = packageInfo();
    process.title = title;
    return run({ input: [], flags: quick, version });
  }
  let cli;
  try {
    cli = await parseArgs(argv);
  } catch (error) {
    process.stderr.write(`workerdeck: ${(error as Error).message} Run workerdeck --help for the options.\n`);
    return USAGE;
  }
  return run(cli);
}

async function parseArgs(argv: string[]): Promise<ParsedArgs> {
  const { default: meow } = await import('meow');
  // booleanDefault undefined: a boolean flag without a default is absent, not false, when not given,
  // so `--skip-permissions` left out lets the config's `skipPermissions` decide.
  const cli = meow(HELP, { importMeta: import.meta, argv, flags: FLAGS, allowUnknownFlags: false, booleanDefault: undefined });
  return { input: cli.input, flags: cli.flags, version: cli.pkg.version ?? '0.0.0' };
}

/** A parsed command line: the words, the flags, and this install's version. */
interface ParsedArgs {
  input: string[];
  flags: CliFlags;
  version: string;
}

async function run(cli: ParsedArgs): Promise<number> {
  const [command, ...rest] = cli.input;
  const version = cli.version;
  const flags = cli.flags;
  const client = () => import('./client/commands.js');
  const needWorker = (usage: string): string => {
    const worker = rest[0];
    if (!worker) throw new UsageError(`Usage: workerdeck ${usage}`);
    return worker;
  };
  try {
    switch (command) {
      case undefined:
        return await (await client()).openDeck(flags, version, userEnvironment(process.env));
      case 'serve':
        return await serveCommand(flags, version);
      case 'list':
        return await listWorkers(flags, version);
      case 'spawn': {
        const task = rest.join(' ');
        if (!task.trim()) throw new UsageError('Usage: workerdeck spawn [--agent p] [--name n] [--no-worktree] [--base b] [--] <task>');
        return await (await client()).spawnCommand(task, flags, version);
      }
      case 'send': {
        const worker = needWorker('send <worker> <text…|->');
        const words = rest.slice(1);
        const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
        if (!text.trim()) throw new UsageError('Usage: workerdeck send <worker> <text…|-> (the text is empty)');
        return await (await client()).sendCommand(worker, text.replace(/\n$/, ''), flags, version);
      }
      case 'stop':
        return await (await client()).stopCommand(needWorker('stop <worker>'), flags, version);
      case 'attach': {
        const worker = needWorker('attach <worker>');
        const { loadConfigTolerant } = await import('./agents/config.js');
        const { chooseStateDir } = await import('./registry/state-dir.js');
        const { spawnGit } = await import('./git/spawn-git.js');
        const choice = await chooseStateDir({ flag: flags.stateDir, env: process.env, cwd: process.cwd(), git: spawnGit() });
        const { config } = await loadConfigTolerant(process.env, choice.repo?.top ?? null);
        return await (await client()).attachCommand(worker, flags, version, config.detachKey);
      }
      case 'logs':
        return await (await client()).logsCommand(needWorker('logs <worker> [--follow] [--transcript]'), flags, version);
      case 'events':
        return await (await client()).eventsCommand(flags, version);
      case 'kill-server':
        return await (await client()).killServerCommand(flags, version);
      case 'restore':
        return await (await client()).restoreCommand(needWorker('restore <worker>'), flags, version);
      case 'prune':
        return await (await client()).pruneCommand(flags, version);
      case 'mail':
        return await mailCommand(rest, cli.flags);
      case 'mcp':
        return await mcpCommand(cli.flags, version);
      case 'hook':
        // The permission hook waits on the server for the operator's answer: a client.
        if (rest[0] === 'permission') return await (await import('./client/permission-hook.js')).permissionHookCommand(cli.flags.stateDir, version);
        return await (await import('./agents/hook.js')).hookCommand(rest[0], cli.flags.stateDir);
      default:
        process.stderr.write(`Unknown command "${command}". Run workerdeck --help for the commands.\n`);
        return USAGE;
    }
  } catch (error) {
    process.stderr.write(`workerdeck: ${(error as Error).message}\n`);
    return error instanceof UsageError ? USAGE : 1;
  }
}

/** Bad arguments: exit code 2. */
class UsageError extends Error {}

/** `workerdeck serve`: the server in the foreground (clients start it in its own session). */
async function serveCommand(flags: { stateDir?: string | undefined }, version: string): Promise<number> {
  const env = userEnvironment(process.env);
  const { chooseStateDir } = await import('./registry/state-dir.js');
  const { execaGit } = await import('./git/git.js');
  const git = execaGit();
  const choice = await chooseStateDir({ flag: flags.stateDir, env, cwd: process.cwd(), git });
  const { serve } = await import('./server/serve.js');
  const { LockHeldError } = await import('./registry/lock.js');
  try {
    return await serve({ stateDir: choice.dir, repo: choice.repo, cwd: process.cwd(), env, git, version });
  } catch (error) {
    // Another client started the server first: that one serves.
    if (error instanceof LockHeldError) {
      process.stderr.write(`${new Date().toISOString()} ${error.message} Leaving it to that one.\n`);
      return 3;
    }
    throw error;
  }
}

async function stateDirFor(flag: string | undefined): Promise<{ layout: StateLayout }> {
  const { chooseStateDir, stateLayout } = await import('./registry/state-dir.js');
  const { spawnGit } = await import('./git/spawn-git.js');
  const choice = await chooseStateDir({ flag, env: process.env, cwd: process.cwd(), git: spawnGit() });
  return { layout: stateLayout(choice.dir) };
}

/** `workerdeck list`: from the running server, else from `state.json`. */
async function listWorkers(flags: { stateDir?: string | undefined; json: boolean }, version: string): Promise<number> {
  const { layout } = await stateDirFor(flags.stateDir);
  const [{ loadState }, { queuePosition, withQueuePosition }, { formatAge, statusLabel }, { describeConflicts, formatDiffStat }] = await Promise.all([
    import('./registry/registry.js'),
    import('./core/queue.js'),
    import('./core/worker.js'),
    import('./core/review.js'),
  ]);
  let workers: WorkerRecord[];
  const { Connection, NoServerError } = await import('./client/connection.js');
  try {
    const connection = await Connection.open(layout.socket, version);
    try {
      const state = await connection.request({ type: 'state' });
      workers = state.order.flatMap((id) => (state.workers[id] ? [state.workers[id]] : []));
    } finally {
      connection.close();
    }
  } catch (error) {
    if (!(error instanceof NoServerError)) throw error;
    workers = (await loadState(layout.stateFile))?.workers ?? [];
  }
  const queue = { workers: Object.fromEntries(workers.map((w) => [w.id, w])), order: workers.map((w) => w.id) };
  if (flags.json) {
    // A queued worker also carries its place in the queue (1: the next to start).
    const listed = workers.map((w) => (w.status === 'queued' ? { ...w, queuePosition: queuePosition(queue, w.id) } : w));
    process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return 0;
  }
  if (workers.length === 0) {
    process.stdout.write(`No workers in ${layout.dir}.\n`);
    return 0;
  }
  const now = Date.now();
  const rows = [
    ['ID', 'NAME', 'AGENT', 'STATUS', 'PID', 'BRANCH', 'CHANGES', 'AGE', 'NOTE'],
    ...workers.map((w: WorkerRecord) => [
      w.id,
      w.name,
      w.agent,
      withQueuePosition(queue, w, statusLabel(w)),
      w.pid === null ? '-' : String(w.pid),
      w.branch ?? '-',
      formatDiffStat(w.diffstat) || '-',
      formatAge(now - w.createdAt),
      [
        w.conflicts && w.conflicts.length > 0 ? `⚡ ${describeConflicts(w.conflicts)}` : '',
        w.validation ? `validate ${w.validation.status === 'timed-out' ? 'timed out' : w.validation.status}` : '',
        (w.needsInput?.reason ?? w.note ?? w.reason ?? '').replace(/\s+/g, ' ').slice(0, 60),
      ]
        .filter(Boolean)
        .join(' · '),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  return 0;
}

const MAIL_KINDS: Record<string, MailType> = { ask: 'question', complete: 'completion', progress: 'progress', error: 'error' };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function workerIdentity(flags: { worker?: string | undefined; stateDir?: string | undefined }) {
  const workerId = flags.worker ?? process.env.WORKERDECK_WORKER_ID;
  const stateDir = flags.stateDir ?? process.env.WORKERDECK_STATE_DIR;
  if (!workerId || !stateDir) return null;
  return { workerId, stateDir: path.resolve(stateDir), workerName: process.env.WORKERDECK_WORKER_NAME };
}

const NOT_A_WORKER =
  'This is not a workerdeck worker: WORKERDECK_WORKER_ID and WORKERDECK_STATE_DIR are not set. Run it inside a worker, or pass --worker <id> and --state-dir <dir>.\n';

async function mailCommand(args: string[], flags: { worker?: string | undefined; stateDir?: string | undefined }): Promise<number> {
  const [kind, ...words] = args;
  const type = kind ? MAIL_KINDS[kind] : undefined;
  if (!type) {
    process.stderr.write(`Usage: workerdeck mail ask|complete|progress|error <text…> (or - to read stdin).\n`);
    return USAGE;
  }
  const identity = workerIdentity(flags);
  if (!identity) {
    process.stderr.write(NOT_A_WORKER);
    return USAGE;
  }
  const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
  if (text.trim() === '') {
    process.stderr.write('The message is empty. Give the text as arguments, or - to read it from stdin.\n');
    return USAGE;
  }
  const { sendMail } = await import('./mail/writer.js');
  const id = await sendMail({ ...identity, type, content: text.replace(/\n$/, '') });
  process.stdout.write(`${id}\n`);
  return 0;
}

async function mcpCommand(flags: { worker?: string | undefined; stateDir?: string | undefined }, version: string): Promise<number> {
  const identity = workerIdentity(flags);
  if (!identity) {
    process.stderr.write(NOT_A_WORKER);
    return USAGE;
  }
  const { runMcpServer } = await import('./mcp/server.js');
  await runMcpServer(identity, version);
  return 0;
}

/**
 * The environment workers get and agent detection uses: without the
 * NODE_ENV and FORCE_COLOR the launcher set for the deck itself. Under `npm start`,
 * npm puts this package's node_modules/.bin (with its pinned agent CLIs and
 * Node) first on PATH; workers get the user's own PATH instead.
 */
export function userEnvironment(input: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...input };
  // bin/workerdeck.js set NODE_ENV for React's sake; it is not the user's.
  if (env.WORKERDECK_NODE_ENV_SET === '1') delete env.NODE_ENV;
  // Likewise FORCE_COLOR, set by the launcher for the deck's own colours.
  if (env.WORKERDECK_FORCE_COLOR_SET === '1') delete env.FORCE_COLOR;
  delete env.WORKERDECK_NODE_ENV_SET;
  delete env.WORKERDECK_FORCE_COLOR_SET;
  if (env.npm_lifecycle_event !== 'start' || env.npm_package_name !== 'workerdeck') return env;
  const root = packageRoot();
  const added = (dir: string) =>
    dir.startsWith(path.join(root, 'node_modules')) || /node-gyp-bin$/.test(dir) || (dir.endsWith(`${path.sep}node_modules${path.sep}.bin`) && root.startsWith(path.dirname(path.dirname(dir))));
  const PATH = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir && !added(dir)).join(path.delimiter);
  return { ...env, PATH };
}

