/**
 * The real opencode (the pinned `opencode-ai`) as a deck worker with permissions on,
 * its model an OpenAI-compatible provider whose base URL is the scripted stand-in on
 * 127.0.0.1 (test/helpers/fake-openai.ts, `POST /v1/chat/completions`). opencode asks
 * before `bash` only when its config says so; the user's config here does. The deck
 * must see the dialog as a permission prompt its opencode rule can answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { opencodePreset } from '../../src/agents/opencode.js';
import { call, FakeOpenAI, lastOutputs, pastCalls, text, toolNames, type Reply, type ResponsesRequest } from '../helpers/fake-openai.js';
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

/** opencode's name for the workerdeck `complete` tool (it joins server and tool with `_`). */
const completeTool = (request: ResponsesRequest): string => {
  const name = toolNames(request).find((n) => /workerdeck.*complete$/.test(n));
  if (!name) throw new Error(`the workerdeck tools are not offered: ${toolNames(request).join(', ')}`);
  return name;
};

/** The model: run `touch approved.txt` with bash; once its output is back, complete. */
function script(request: ResponsesRequest): Reply {
  const last = lastOutputs(request).at(-1);
  if (last && /workerdeck.*complete$/.test(last.name)) return text('Reported; done.');
  if (last?.name === 'bash') return call(request, completeTool(request), { summary: `Ran touch after approval: ${last.output?.trim() || 'no output'}` });
  if (pastCalls(request).some((c) => c.name === 'bash')) return text('Already asked.');
  return call(request, 'bash', { command: 'touch approved.txt', description: 'Create approved.txt' });
}

describe('a real opencode worker with permissions on (scripted chat completions on 127.0.0.1)', () => {
  let repo: ReturnType<typeof tempRepo>;
  let home: ReturnType<typeof tempDir>;
  let deck: DeckTerminal | null = null;
  let fake: FakeOpenAI | null = null;
  let stateDir: string;
  const pids = new Set<number>();

  beforeEach(() => {
    repo = tempRepo('wd-oc-repo-');
    home = tempDir('wd-oc-home-');
    mkdirSync(path.join(home.dir, 'config', 'workerdeck'), { recursive: true });
    mkdirSync(path.join(home.dir, 'config', 'opencode'), { recursive: true });
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

  const env = (): Record<string, string> => ({
    HOME: home.dir,
    PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(home.dir, 'config'),
    XDG_STATE_HOME: path.join(home.dir, 'state'),
    XDG_DATA_HOME: path.join(home.dir, 'data'),
    XDG_CACHE_HOME: path.join(home.dir, 'cache'),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
  });

  const list = (): ListedWorker[] => {
    if (!existsSync(path.join(stateDir, 'state.json'))) return [];
    const out = execFileSync(process.execPath, [BIN, 'list', '--json', '--state-dir', stateDir], { cwd: repo.dir, encoding: 'utf8', env: { ...cleanEnv(), ...env() } });
    const workers = JSON.parse(out) as ListedWorker[];
    for (const w of workers) if (w.pid !== null) pids.add(w.pid);
    return workers;
  };

  it("shows opencode's permission dialog as a permission prompt; the rule's allow-once key runs the command and the worker completes", { timeout: 300_000 }, async () => {
    fake = new FakeOpenAI(script);
    const url = await fake.start();
    // The user's own opencode config: a provider at the stand-in, and bash asks first.
    const config = {
      $schema: 'https://opencode.ai/config.json',
      provider: { fake: { npm: '@ai-sdk/openai-compatible', name: 'Fake', options: { baseURL: `${url}/v1`, apiKey: 'sk-fake' }, models: { 'fake-model': { name: 'Fake model', tool_call: true } } } },
      model: 'fake/fake-model',
      small_model: 'fake/fake-model',
      autoupdate: false,
      share: 'disabled',
      permission: { bash: 'ask' },
    };
    writeFileSync(path.join(home.dir, 'config', 'opencode', 'opencode.json'), JSON.stringify(config));
    const d = new DeckTerminal(['--agent', 'opencode'], { cwd: repo.dir, env: env() });
    deck = d;
    await d.waitForText('q quit');
    const screen = () => `${d.screen()}\n--- requests ---\n${fake?.describe() ?? ''}`;

    d.type('n');
    await d.waitForText('Spawn a worker');
    await d.waitForText(/Skip permissions\s+\[ \]/);
    d.type('Touch file');
    d.type('\r');
    await waitFor(() => /touch-file\s+opencode\s+needs input/.test(d.screen()), 'the row to say needs input', 180_000, screen);
    const worker = (await waitFor(() => list().find((w) => w.needsInput !== null), 'needsInput in list --json', 10_000, screen))!;
    expect(worker.needsInput).toMatchObject({ source: 'screen', permission: expect.objectContaining({ tool: 'Shell command', detail: 'touch approved.txt' }) });
    expect(worker.command).not.toContain('--auto');
    const rows = execFileSync(process.execPath, [BIN, 'logs', worker.id, '--state-dir', stateDir], { cwd: repo.dir, encoding: 'utf8', env: { ...cleanEnv(), ...env() } });
    const rule = opencodePreset(undefined).promptRules.find((r) => r.pattern.test(rows));
    if (!rule?.answers) throw new Error(`no opencode rule with answers matches the worker's screen:\n${rows}`);
    expect(rule.describe?.(rows)).toEqual({ tool: 'Shell command', detail: 'touch approved.txt' });
    const worktree = worker.worktree ?? '';
    expect(existsSync(path.join(worktree, 'approved.txt'))).toBe(false);

    await answerFromDeck(d, 'y', screen);

    await waitFor(() => existsSync(path.join(worktree, 'approved.txt')), 'the approved command to run', 60_000, screen);
    await waitFor(() => /touch-file\s+opencode\s+completed/.test(d.screen()), 'the row to say completed', 120_000, screen);
    expect(d.screen()).toContain('Ran touch after approval');

    list();
    d.type('Q');
    await d.waitForText('(y/n)');
    d.type('y');
    await d.waitForExit();
    await waitFor(() => [...pids].every((pid) => !processAlive(pid)), 'every opencode process to exit', 15_000, () => [...pids].join(' '));
    expect(fake.unknown).toEqual([]);
  });
});
