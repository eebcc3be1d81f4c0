/**
 * The real Gemini CLI (the pinned `@google/gemini-cli`) as a deck worker with
 * permissions on, talking to a scripted stand-in for the Gemini API on 127.0.0.1
 * (test/helpers/fake-gemini.ts) through `GOOGLE_GEMINI_BASE_URL`. Gemini asks before
 * `run_shell_command`; the deck must see the dialog as a permission prompt its gemini
 * rule can answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { geminiPreset } from '../../src/agents/gemini.js';
import { FakeGemini } from '../helpers/fake-gemini.js';
import { call, lastOutputs, pastCalls, text, toolNames, type Reply, type ResponsesRequest } from '../helpers/fake-openai.js';
import { tempDir, tempRepo } from '../helpers/git-repo.js';
import { answerFromDeck, cleanEnv, stopServer } from '../helpers/e2e.js';
import { BIN, DeckTerminal, processAlive, ROOT, waitFor } from '../helpers/term.js';

const NODE_BIN = path.join(ROOT, 'node_modules', '.bin');

interface ListedWorker {
  id: string;
  pid: number | null;
  command: string[];
  worktree: string | null;
  needsInput: { reason: string; source: 'screen' | 'hook' | 'mail' } | null;
}

/** Gemini's name for the workerdeck `complete` tool. */
const completeTool = (request: ResponsesRequest): string => {
  const name = toolNames(request).find((n) => /^(mcp_)?(workerdeck\w*)?complete$/.test(n));
  if (!name) throw new Error(`the workerdeck tools are not offered: ${toolNames(request).join(', ')}`);
  return name;
};

/** The model: run `touch approved.txt` with the shell tool; once its output is back, complete. */
function script(request: ResponsesRequest): Reply {
  const last = lastOutputs(request).at(-1);
  if (last && /complete$/.test(last.name)) return text('Reported; done.');
  if (last?.name === 'run_shell_command') return call(request, completeTool(request), { summary: 'Ran touch after approval' });
  if (pastCalls(request).some((c) => c.name === 'run_shell_command')) return text('Already asked.');
  return call(request, 'run_shell_command', { command: 'touch approved.txt', description: 'Create approved.txt' });
}

describe('a real Gemini CLI worker with permissions on (scripted Gemini API on 127.0.0.1)', () => {
  let repo: ReturnType<typeof tempRepo>;
  let home: ReturnType<typeof tempDir>;
  let deck: DeckTerminal | null = null;
  let fake: FakeGemini | null = null;
  let stateDir: string;
  const pids = new Set<number>();

  beforeEach(() => {
    repo = tempRepo('wd-gem-repo-');
    home = tempDir('wd-gem-home-');
    mkdirSync(path.join(home.dir, 'config', 'workerdeck'), { recursive: true });
    // The API key is the way in: no sign-in dialog.
    mkdirSync(path.join(home.dir, '.gemini'), { recursive: true });
    writeFileSync(path.join(home.dir, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
    stateDir = path.join(repo.dir, '.git', 'workerdeck');
    pids.clear();
  });

  afterEach(async () => {
    try {
      list();
    } catch {
      // no readable state: no pids to add
    }
    deck?.kill();
    deck = null;
    await stopServer(stateDir, [...pids]);
    await fake?.stop();
    fake = null;
    for (const dir of [repo, home]) {
      await waitFor(
        () => {
          try {
            dir.cleanup();
          } catch {
            // ENOTEMPTY while a writer finishes; try again
          }
          return !existsSync(dir.dir);
        },
        `removing ${dir.dir}`,
        10_000,
      );
    }
  });

  let url = '';
  const env = (): Record<string, string> => ({
    HOME: home.dir,
    PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(home.dir, 'config'),
    XDG_STATE_HOME: path.join(home.dir, 'state'),
    XDG_DATA_HOME: path.join(home.dir, 'data'),
    XDG_CACHE_HOME: path.join(home.dir, 'cache'),
    GEMINI_API_KEY: 'fake-key-for-tests',
    GOOGLE_GEMINI_BASE_URL: url,
  });

  const list = (): ListedWorker[] => {
    if (!existsSync(path.join(stateDir, 'state.json'))) return [];
    const out = execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', stateDir], { cwd: repo.dir, encoding: 'utf8', env: { ...cleanEnv(), ...env() } });
    const workers = JSON.parse(out) as ListedWorker[];
    for (const w of workers) if (w.pid !== null) pids.add(w.pid);
    return workers;
  };

  it("shows Gemini's shell approval as a permission prompt; the rule's allow-once key runs the command and the worker completes", { timeout: 300_000 }, async () => {
    fake = new FakeGemini(script);
    url = await fake.start();
    const d = new DeckTerminal(['--agent', 'gemini'], { cwd: repo.dir, env: env() });
    deck = d;
    await d.waitForText('q quit');
    const screen = () => `${d.screen()}\n--- requests ---\n${fake?.describe() ?? ''}`;

    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[ \]/);
    d.type('Touch file');
    d.type('\r');
    await waitFor(() => /touch-file\s+gemini\s+needs input/.test(d.screen()), 'the row to say needs input', 180_000, screen);
    const worker = (await waitFor(() => list().find((w) => w.needsInput !== null), 'needsInput in list --json', 10_000, screen))!;
    expect(worker.needsInput).toMatchObject({ source: 'screen', permission: expect.objectContaining({ tool: 'Shell', detail: 'touch approved.txt' }) });
    expect(worker.command).not.toContain('yolo');
    const rows = execFileSync(process.execPath, [BIN, 'logs', worker.id, '--state-dir', stateDir], { cwd: repo.dir, encoding: 'utf8', env: { ...cleanEnv(), ...env() } });
    const rule = geminiPreset(undefined).promptRules.find((r) => r.pattern.test(rows));
    if (!rule?.answers) throw new Error(`no gemini rule with answers matches the worker's screen:\n${rows}`);
    expect(rule.describe?.(rows)).toEqual({ tool: 'Shell', detail: 'touch approved.txt' });
    const worktree = worker.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    await answerFromDeck(d, 'y', screen);

    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the approved command to run', 60_000, screen);
    await waitFor(() => /touch-file\s+gemini\s+completed/.test(d.screen()), 'the row to say completed', 120_000, screen);
    expect(d.screen()).toContain('Ran touch after approval');

    list();
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    await d.waitForExit();
    await waitFor(() => [...pids].every((pid) => !processAlive(pid)), 'every gemini process to exit', 15_000, () => [...pids].join(' '));
    expect(fake.unknown).toEqual([]);
  });
});
