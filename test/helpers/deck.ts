import { afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Deck, type SpawnRequest } from '../../src/deck.js';
import { Connection } from '../../src/client/connection.js';
import { RemoteDeck } from '../../src/client/remote-deck.js';
import { DeckServer } from '../../src/server/server.js';
import { execaGit } from '../../src/git/git.js';
import { repoInfo, type RepoInfo } from '../../src/git/worktree.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import { tempRepo } from './git-repo.js';
import type { Preset } from '../../src/agents/preset.js';
import { commandPreset, shellPreset } from '../../src/agents/shell.js';
import type { PresetOverride } from '../../src/agents/config.js';
import { inlineMirror } from '../../src/pty/inline-mirror.js';
import type { PtySpawner } from '../../src/pty/types.js';
import { Registry } from '../../src/registry/registry.js';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { processAlive, waitFor } from './term.js';

/** Presets for tests: `shell` on /bin/sh, plus user presets from the overrides, in that order. */
export function testPresets(overrides: Record<string, PresetOverride> = {}): Map<string, Preset> {
  const presets = new Map<string, Preset>();
  presets.set('shell', shellPreset({ command: '/bin/sh' }));
  for (const [name, override] of Object.entries(overrides)) presets.set(name, commandPreset(name, override));
  return presets;
}

export interface TestDeck {
  deck: Deck;
  layout: StateLayout;
  registry: Registry;
  /** Warnings the registry reported. */
  registryErrors: string[];
}

/**
 * A Deck on a real state dir (created here) with the given spawner and presets.
 * Its screen mirrors parse on this thread (`inlineMirror`) unless `mirrors` is
 * `'pool'`: the Deck's default MirrorPool, whose worker thread runs from
 * dist/pty/mirror-thread.js, so only tests that run after `npm run build`
 * (integration, e2e) may ask for it.
 */
export async function makeDeck(options: {
  stateDir: string;
  cwd: string;
  spawner: PtySpawner;
  presets: Map<string, Preset>;
  repo?: RepoInfo | null;
  now?: () => number;
  mirrors?: 'inline' | 'pool';
  /** Waits before each background session discovery after a spawn, ms. */
  sessionDiscoveryDelaysMs?: number[];
}): Promise<TestDeck> {
  const layout = await prepareStateDir(options.stateDir);
  const registryErrors: string[] = [];
  const registry = new Registry(layout.stateFile, layout.eventsFile, (m) => registryErrors.push(m), 5);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WORKERDECK_')) env[k] = v;
  const deck = new Deck({
    spawner: options.spawner,
    git: execaGit(),
    layout,
    registry,
    presets: options.presets,
    repo: options.repo ?? null,
    cwd: options.cwd,
    env,
    launcher: path.join(layout.binDir, 'workerdeck'),
    ...(options.now ? { now: options.now } : {}),
    ...(options.mirrors === 'pool' ? {} : { mirrors: inlineMirror }),
    ...(options.sessionDiscoveryDelaysMs ? { sessionDiscoveryDelaysMs: options.sessionDiscoveryDelaysMs } : {}),
  });
  return { deck, layout, registry, registryErrors };
}

/**
 * A DeckServer for `deck` on a real Unix socket in this process, and a
 * RemoteDeck client connected to it (subscribed, first snapshot in).
 */
export async function serveInProcess(
  deck: Deck,
  socketPath: string,
  onKillServer: () => void = () => undefined,
): Promise<{ server: DeckServer; client: RemoteDeck }> {
  const presets = [...deck.presets.values()].map((p) => ({
    name: p.name,
    description: p.description,
    supportsSkipPermissions: p.supportsSkipPermissions,
    canResume: p.resume !== undefined,
    problem: null,
  }));
  const server = new DeckServer({ deck, socketPath, version: 'test', label: 'test', presets, onKillServer, log: () => undefined });
  await server.listen();
  const connection = await Connection.open(socketPath, 'test');
  const client = await RemoteDeck.connect(connection, socketPath, 'test');
  return { server, client };
}

/** A spawn request with defaults: no worktree, no skip-permissions. */
export function request(fields: Partial<SpawnRequest> & { agent: string }): SpawnRequest {
  return { task: '', name: '', worktree: false, base: '', skipPermissions: false, ...fields };
}

/**
 * True when no process with this pid runs any more. A zombie counts as gone:
 * this machine's init does not reap orphans, so a killed grandchild can stay a
 * zombie, which runs nothing.
 */
export function processGone(pid: number): boolean {
  if (!processAlive(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** A worker's screen as plain text, rows joined with `\n`. */
export async function screenText(deck: Deck, id: string): Promise<string> {
  const mirror = deck.screen(id);
  if (!mirror) return '';
  return (await mirror.textRows()).join('\n');
}

/**
 * Wait until a worker's screen matches `pattern`.
 * @returns the match
 * @throws Error showing the last screen when `timeoutMs` passes
 */
export async function waitForScreen(deck: Deck, id: string, pattern: RegExp, what: string, timeoutMs = 10_000): Promise<RegExpExecArray> {
  let last = '';
  return waitFor<RegExpExecArray | false>(
    async () => {
      last = await screenText(deck, id);
      return pattern.exec(last) ?? false;
    },
    what,
    timeoutMs,
    () => last,
  ) as Promise<RegExpExecArray>;
}

/**
 * Per-test cleanups and child pids: after each test, the cleanups run newest
 * first, then every pid must be gone (within 10 s) or the test fails.
 */
export function trackResources(): { cleanups: (() => Promise<void> | void)[]; pids: number[] } {
  const tracked = { cleanups: [] as (() => Promise<void> | void)[], pids: [] as number[] };
  afterEach(async () => {
    for (const cleanup of tracked.cleanups.splice(0).reverse()) await cleanup();
    const pids = tracked.pids.splice(0);
    await waitFor(() => pids.every(processGone), `no process left of ${pids.join(', ')}`, 10_000);
  });
  return tracked;
}

/**
 * A Deck on real node-pty in a temp git repo, its state dir in the repo's
 * common dir (as the server's), with an `idle` preset that sleeps; shut down
 * and the repo removed by `cleanups`.
 * @param prepare writes and commits what the repo should hold first
 */
export async function deckOnRepo(
  cleanups: (() => Promise<void> | void)[],
  prepare: (repo: ReturnType<typeof tempRepo>) => void = () => undefined,
): Promise<{ deck: Deck; repo: ReturnType<typeof tempRepo> }> {
  const repo = tempRepo();
  prepare(repo);
  const info = await repoInfo(execaGit(), repo.dir);
  const { deck } = await makeDeck({
    stateDir: path.join(info!.commonDir, 'workerdeck'),
    cwd: repo.dir,
    spawner: spawnNodePty,
    presets: testPresets({ idle: { command: '/bin/sh', args: ['-c', 'sleep 100'] } }),
    repo: info,
  });
  cleanups.push(async () => {
    await deck.shutdown(500);
    repo.cleanup();
  });
  return { deck, repo };
}
