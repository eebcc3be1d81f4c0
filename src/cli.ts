import { readFile, writeFile, chmod, rename, unlink } from 'node:fs/promises';
import { processExists } from './registry/pid.js';
import { shellQuote } from './agents/common.js';
import path from 'node:path';
import { packageRoot } from './paths.js';
import meow from 'meow';
import { execaGit } from './git/git.js';
import { chooseStateDir, prepareStateDir, stateLayout, type StateLayout } from './registry/state-dir.js';
import { loadState } from './registry/registry.js';
import { formatAge, statusLabel, type WorkerRecord } from './core/worker.js';
import type { MailType } from './core/mail.js';
import { ExitGuard } from './process-exit.js';

const HELP = `
  Usage
    $ workerdeck [options]                 open the deck on the repo in the current dir
    $ workerdeck list [--json]             print the workers of this repo's deck
    $ workerdeck mail <kind> <text…|->     send mail from a worker to its deck
                                           kind: ask, complete, progress, error
    $ workerdeck mcp                       run the workerdeck MCP stdio server (for agents)
    $ workerdeck hook <event>              agent hook entry point (stop, notify, prompt, start)

  Options
    --agent <preset>         default agent preset in the spawn form
    --state-dir <dir>        state dir (default: <git common dir>/workerdeck)
    --theme <name|path>      default, light, or a theme .json file
    --skip-permissions       default the spawn form's skip-permissions toggle to on
    --json                   (list) print JSON
    --worker <id>            (mail) worker id, instead of $WORKERDECK_WORKER_ID
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
  let cli;
  try {
    cli = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`workerdeck: ${(error as Error).message} Run workerdeck --help for the options.\n`);
    return USAGE;
  }
  return run(cli);
}

function parseArgs(argv: string[]) {
  return meow(HELP, {
    importMeta: import.meta,
    argv,
    flags: {
      agent: { type: 'string' },
      stateDir: { type: 'string' },
      theme: { type: 'string' },
      skipPermissions: { type: 'boolean' },
      json: { type: 'boolean', default: false },
      worker: { type: 'string' },
    },
    allowUnknownFlags: false,
  });
}

async function run(cli: ReturnType<typeof parseArgs>): Promise<number> {
  const [command, ...rest] = cli.input;
  try {
    switch (command) {
      case undefined:
        return await openDeck(cli.flags);
      case 'list':
        return await listWorkers(cli.flags);
      case 'mail':
        return await mailCommand(rest, cli.flags);
      case 'mcp':
        return await mcpCommand(cli.flags, cli.pkg.version ?? '0.0.0');
      case 'hook':
        return await (await import('./agents/hook.js')).hookCommand(rest[0], cli.flags.stateDir);
      default:
        process.stderr.write(`Unknown command "${command}". Run workerdeck --help for the commands.\n`);
        return USAGE;
    }
  } catch (error) {
    process.stderr.write(`workerdeck: ${(error as Error).message}\n`);
    return 1;
  }
}

async function stateDirFor(flag: string | undefined): Promise<{ layout: StateLayout; repo: Awaited<ReturnType<typeof chooseStateDir>>['repo'] }> {
  const choice = await chooseStateDir({ flag, env: process.env, cwd: process.cwd(), git: execaGit() });
  return { layout: stateLayout(choice.dir), repo: choice.repo };
}

async function listWorkers(flags: { stateDir?: string | undefined; json: boolean }): Promise<number> {
  const { layout } = await stateDirFor(flags.stateDir);
  const saved = await loadState(layout.stateFile);
  const workers = saved?.workers ?? [];
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(workers, null, 2)}\n`);
    return 0;
  }
  if (workers.length === 0) {
    process.stdout.write(`No workers in ${layout.dir}.\n`);
    return 0;
  }
  const now = Date.now();
  const rows = [
    ['ID', 'NAME', 'AGENT', 'STATUS', 'PID', 'BRANCH', 'AGE', 'NOTE'],
    ...workers.map((w: WorkerRecord) => [
      w.id,
      w.name,
      w.agent,
      statusLabel(w),
      w.pid === null ? '-' : String(w.pid),
      w.branch ?? '-',
      formatAge(now - w.createdAt),
      (w.needsInput?.reason ?? w.note ?? w.reason ?? '').replace(/\s+/g, ' ').slice(0, 60),
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

/** The absolute path of bin/workerdeck.js in this install. */
function binPath(): string {
  return path.join(packageRoot(), 'bin', 'workerdeck.js');
}

/** Write `<state>/bin/workerdeck`, the launcher every worker's PATH starts with. */
async function writeLauncher(layout: StateLayout): Promise<string> {
  const file = path.join(layout.binDir, 'workerdeck');
  await writeFile(file, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(binPath())} "$@"\n`, { mode: 0o755 });
  await chmod(file, 0o755);
  return file;
}

/**
 * Take the state dir's deck lock: `deck.pid`, created exclusively. A lock
 * left by a deck that is gone is taken over.
 * @returns a function that releases the lock
 * @throws Error when another live deck holds it.
 */
async function takeLock(layout: StateLayout): Promise<() => Promise<void>> {
  const release = async () => {
    const holder = await readFile(layout.lockFile, 'utf8').catch(() => '');
    if (Number(holder.trim()) === process.pid) await unlink(layout.lockFile).catch(() => undefined);
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(layout.lockFile, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(layout.lockFile, 'utf8').catch(() => '')).trim());
    if (pid && pid !== process.pid && processExists(pid)) {
      throw new Error(`Another deck (pid ${pid}) is already running on ${layout.dir}. Quit it first, or pass --state-dir.`);
    }
    await unlink(layout.lockFile).catch(() => undefined);
  }
  throw new Error(`Cannot take the deck lock ${layout.lockFile}; another deck may be starting. Try again.`);
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

async function openDeck(flags: {
  agent?: string | undefined;
  stateDir?: string | undefined;
  theme?: string | undefined;
  skipPermissions?: boolean | undefined;
}): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('workerdeck needs a terminal: run it in an interactive terminal, not with piped input or output.\n');
    return USAGE;
  }
  const cwd = process.cwd();
  const env = userEnvironment(process.env);
  const git = execaGit();
  // Load the deck's code while git answers where the repo is. Ink's layout engine
  // (yoga) decodes its embedded wasm through fetch() when there is one, which makes
  // Node load its whole HTTP stack first (~20-60 ms of start-up); without fetch it
  // decodes the bytes directly. fetch is put back as soon as the modules are in.
  const fetchProperty = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  Reflect.deleteProperty(globalThis, 'fetch');
  const loading = Promise.all([
    import('./agents/config.js'),
    import('./agents/index.js'),
    import('./ui/index.js'),
    import('./agents/builtin.js'),
    import('./registry/registry.js'),
    import('./deck.js'),
    import('./pty/node-pty-host.js'),
    import('./mail/mailbox.js'),
  ]);
  const choice = await chooseStateDir({ flag: flags.stateDir, env, cwd, git });
  const warnings: string[] = [];
  const [
    { loadConfig, ConfigError, mergeConfig, configPaths, readConfigFile },
    agents,
    ui,
    { agentFactories },
    { Registry },
    { Deck },
    { spawnNodePty },
    { Mailbox, loadMailHistory },
  ] = await loading.finally(() => {
    if (fetchProperty) Object.defineProperty(globalThis, 'fetch', fetchProperty);
  });
  // A broken config file is refused with its file and field named; the deck runs on without it.
  let config;
  try {
    config = await loadConfig(env, choice.repo?.top ?? null);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    warnings.push(`${error.message}. That file is ignored until it is fixed.`);
    const paths = configPaths(env, choice.repo?.top ?? null);
    const safe = async (file: string | null) => (file ? readConfigFile(file).catch(() => null) : null);
    const user = await safe(paths.user);
    const repo = await safe(paths.repo);
    config = mergeConfig(user, repo, [user ? paths.user : null, repo ? paths.repo : null].filter((s): s is string => s !== null));
  }
  warnings.push(...config.notices);
  const layout = await prepareStateDir(choice.dir);
  const releaseLock = await takeLock(layout);
  const launcher = await writeLauncher(layout);
  const presets = agents.buildPresets(config, agentFactories);
  let defaultAgent: string;
  try {
    defaultAgent = agents.pickDefaultAgent(presets, flags.agent, config, env, cwd);
  } catch (error) {
    warnings.push(`${(error as Error).message} Using the shell preset.`);
    defaultAgent = 'shell';
  }
  let deck: InstanceType<typeof Deck> | null = null;
  const registry = new Registry(layout.stateFile, layout.eventsFile, (m) => deck?.warn(m));
  deck = new Deck({ spawner: spawnNodePty, git, layout, registry, presets, repo: choice.repo, cwd, env, launcher });
  let saved = null;
  try {
    saved = await loadState(layout.stateFile);
  } catch (error) {
    const aside = `${layout.stateFile}.broken-${Date.now()}`;
    await rename(layout.stateFile, aside).catch(() => undefined);
    warnings.push(`${(error as Error).message} It was moved to ${aside}; the deck starts with an empty list.`);
  }
  deck.restore(saved, await loadMailHistory(layout));
  for (const w of warnings) deck.warn(w);

  let theme = ui.NO_COLOR_THEME;
  if (!('NO_COLOR' in env) || env.NO_COLOR === '') {
    try {
      theme = await ui.loadTheme(flags.theme ?? config.theme ?? 'default', cwd);
    } catch (error) {
      deck.warn(`${(error as Error).message} Using the default theme.`);
      theme = await ui.loadTheme('default', cwd);
    }
  }
  let keymap;
  try {
    keymap = ui.buildKeymap(config.keys);
  } catch (error) {
    deck.warn(`${(error as Error).message} Using the default keys.`);
    keymap = ui.buildKeymap({});
  }
  let detachKey;
  try {
    detachKey = ui.parseDetachKey(config.detachKey);
  } catch (error) {
    deck.warn(`${(error as Error).message} Using ctrl+].`);
    detachKey = ui.parseDetachKey('ctrl+]');
  }
  const presetProblems = new Map<string, string | null>();
  for (const [name, preset] of presets) {
    presetProblems.set(name, agents.isInstalled(preset, env, cwd) ? null : (preset.installHint ?? `"${preset.command}" is not on PATH`));
  }
  const mailbox = new Mailbox(layout, {
    onMessage: (message) => deck.receiveMail(message),
    onBad: (file, reason) => deck.warn(`Bad mail ${file} moved to mail/bad: ${reason}`),
    nextSeq: () => deck.nextSeq(),
  });
  const store = ui.createAppStore(process.stdout.columns || 80, process.stdout.rows || 24);
  const label = choice.repo ? `${path.basename(choice.repo.mainTop)}${choice.repo.branch ? ` (${choice.repo.branch})` : ''}` : cwd;
  void mailbox.start().catch((error: Error) => deck.warn(`Cannot watch ${layout.mail.new}: ${error.message}`));
  const exit = new ExitGuard();
  const code = await ui.runDeck({
    exit,
    deck,
    store,
    theme,
    keymap,
    detachKey,
    label,
    presetProblems,
    nudgeText: config.nudge,
    notify: config.notify,
    spawnDefaults: () => ({
      agent: defaultAgent,
      worktree: choice.repo !== null,
      base: choice.repo?.branch ?? '',
      skipPermissions: flags.skipPermissions ?? config.skipPermissions,
    }),
  });
  // Within the exit budget that runDeck began, then out: nothing pending may hold the process.
  exit.begin(code);
  await exit.within(Promise.allSettled([mailbox.close(), registry.flush(), releaseLock()]));
  exit.exitNow(code);
  return code;
}
