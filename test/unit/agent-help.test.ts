/**
 * Every flag a preset passes must exist in the real agent CLI it was checked
 * against: the CLIs are pinned devDependencies, run from node_modules/.bin.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { agentFactories } from '../../src/agents/builtin.js';
import { codexConfigArgs, codexSessionHookArgs } from '../../src/agents/codex.js';
import { OPENCODE_LIST_ARGS } from '../../src/agents/opencode.js';
import type { LaunchContext, Preset } from '../../src/agents/preset.js';
import { tempDir } from '../helpers/git-repo.js';
import { ROOT } from '../helpers/term.js';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'node_modules', '.bin');
const home = tempDir('wd-agent-home-');
afterAll(() => home.cleanup());

/** Run a pinned CLI with an isolated HOME; returns stdout and stderr together. */
async function cli(name: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const env = {
    ...process.env,
    HOME: home.dir,
    XDG_CONFIG_HOME: path.join(home.dir, '.config'),
    XDG_DATA_HOME: path.join(home.dir, '.local', 'share'),
    XDG_STATE_HOME: path.join(home.dir, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home.dir, '.cache'),
    CODEX_HOME: path.join(home.dir, '.codex'),
    NO_COLOR: '1',
    ...extraEnv,
  };
  mkdirSync(env.CODEX_HOME, { recursive: true });
  const result = await run(path.join(BIN, name), args, { env, cwd: home.dir, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${name} ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
  // eslint-disable-next-line no-control-regex
  return `${result.stdout}\n${result.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
}

function ctx(fields: Partial<LaunchContext> = {}): LaunchContext {
  return {
    askWait: 0,
    workerId: 'w1',
    name: 'api',
    task: 'Fix the bug',
    sessionId: '0b5c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f',
    cwd: home.dir,
    worktree: home.dir,
    branch: 'worker/api-w1',
    stateDir: path.join(home.dir, 'state'),
    launcher: path.join(home.dir, 'state', 'bin', 'workerdeck'),
    workerDir: path.join(home.dir, 'state', 'workers', 'w1'),
    instructions: 'Line one "quoted"\nback\\slash\ttab',
    skipPermissions: true,
    env: {},
    ...fields,
  };
}

/** The flags (option names, no values) in an argv: `-x`, `--long`, `--long=v` → `--long`; `--` is not a flag. */
function flagsOf(args: string[]): string[] {
  return [...new Set(args.filter((a) => a.startsWith('-') && a !== '--').map((a) => a.split('=')[0]!))];
}

function expectFlagsInHelp(flags: string[], help: string, where: string): void {
  for (const flag of flags) {
    const escaped = flag.replace(/[-]/g, '\\-');
    expect(new RegExp(`(^|[\\s,])${escaped}(?=[\\s,=<\\[]|$)`, 'm').test(help), `${flag} in ${where}`).toBe(true);
  }
}

function preset(name: string): Preset {
  return agentFactories[name]!(undefined);
}

/** Every flag of new and resume, with skip permissions on and off, and a task that looks like a flag. */
function presetFlags(p: Preset, resumeTask = false, sessionId?: string): { launch: string[]; resume: string[] } {
  const launch: string[] = [];
  const resume: string[] = [];
  for (const skipPermissions of [true, false]) {
    for (const task of ['Fix the bug', '-x broken']) {
      const argv = p.launch(ctx({ skipPermissions, task })).args;
      // The task after `--` is not a flag.
      const end = argv.indexOf('--');
      launch.push(...flagsOf(end === -1 ? argv : argv.slice(0, end)));
    }
    resume.push(...flagsOf(p.resume!(ctx({ skipPermissions, task: resumeTask ? 'x' : '', ...(sessionId ? { sessionId } : {}) })).args));
  }
  return { launch: [...new Set(launch)], resume: [...new Set(resume)] };
}

describe('claude --help', () => {
  it('is the checked version and lists every flag the preset uses', async () => {
    const p = preset('claude');
    expect(await cli('claude', ['--version'])).toContain(`${p.checkedVersion} (Claude Code)`);
    const help = await cli('claude', ['--help']);
    const { launch, resume } = presetFlags(p);
    expect(launch).toEqual(['--session-id', '--mcp-config', '--append-system-prompt', '--allowedTools', '--settings', '--dangerously-skip-permissions']);
    expect(resume).toContain('--resume');
    expectFlagsInHelp([...launch, ...resume], help, 'claude --help');
    // The variadic flags that would swallow a positional task are the reason for `--`.
    expect(help).toMatch(/--mcp-config <configs\.\.\.>/);
    expect(help).toMatch(/--allowedTools, --allowed-tools <tools\.\.\.>/);
  });
});

describe('codex --help', () => {
  it('is the checked version and lists every flag of new and resume', async () => {
    const p = preset('codex');
    expect(await cli('codex', ['--version'])).toContain(`codex-cli ${p.checkedVersion}`);
    const help = await cli('codex', ['--help']);
    const resumeHelp = await cli('codex', ['resume', '--help']);
    const { launch, resume } = presetFlags(p);
    expect(launch).toEqual(['-c', '--dangerously-bypass-approvals-and-sandbox']);
    expectFlagsInHelp(launch, help, 'codex --help');
    expect(help).toMatch(/^\s+resume\s+Resume a previous interactive session/m);
    // `codex resume <SESSION_ID>`: the session's own id, never --last.
    expect(p.resume!(ctx()).args.slice(0, 2)).toEqual(['resume', ctx().sessionId]);
    expect(resumeHelp).toMatch(/^\s+\[SESSION_ID\]\s*\n\s+Session id \(UUID\)/m);
    expectFlagsInHelp(resume, resumeHelp, 'codex resume --help');
    expect(resume).toEqual(['-c', '--dangerously-bypass-approvals-and-sandbox']);
  });

  it('parses the -c overrides: the MCP server with its env, and the instructions byte for byte', async () => {
    const c = ctx();
    const server = JSON.parse(await cli('codex', ['mcp', 'get', 'workerdeck', '--json', ...codexConfigArgs(c)]).then((out) => out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)));
    expect(server.transport.command).toBe(c.launcher);
    expect(server.transport.args).toEqual(['mcp']);
    expect(server.transport.env).toEqual({ WORKERDECK_WORKER_ID: 'w1', WORKERDECK_STATE_DIR: c.stateDir, WORKERDECK_WORKER_NAME: 'api' });
    // With the SessionStart hook and its trust too: codex must parse them all.
    const prompt = await cli('codex', ['debug', 'prompt-input', ...codexConfigArgs(c), ...codexSessionHookArgs(c)]);
    // The developer message holds the instructions exactly (JSON-encoded in the dump).
    expect(prompt).toContain(JSON.stringify(c.instructions));
  });
});

describe('gemini --help', () => {
  it('is the checked version and lists every flag the preset uses', async () => {
    const p = preset('gemini');
    expect((await cli('gemini', ['--version'])).trim().split('\n')[0]).toBe(p.checkedVersion);
    const help = await cli('gemini', ['--help']);
    const { launch, resume } = presetFlags(p);
    expect(launch).toEqual(['--session-id', '--approval-mode', '-i', '--prompt-interactive']);
    expect(resume).toEqual(['--resume', '--approval-mode']);
    expectFlagsInHelp([...launch, ...resume], help, 'gemini --help');
    expect(help).toMatch(/-i, --prompt-interactive/);
    expect(help).toMatch(/--approval-mode[^\n]*"yolo"/);
  });
});

describe('opencode --help', () => {
  it('is the checked version and lists every flag the preset uses', async () => {
    const p = preset('opencode');
    expect((await cli('opencode', ['--version'])).trim().split('\n')[0]).toBe(p.checkedVersion);
    const help = await cli('opencode', ['--help']);
    const { launch, resume } = presetFlags(p, false, 'ses_dd2a4d66effe3aNd7dIWR9LPe0');
    expect(launch).toEqual(['--auto', '--prompt']);
    expect(resume).toEqual(['--session', '--auto']);
    expectFlagsInHelp([...launch, ...resume], help, 'opencode --help');
    // What session discovery runs: `opencode session list --format json --pure`.
    const listHelp = await cli('opencode', OPENCODE_LIST_ARGS.slice(0, 2).concat('--help'));
    expect(flagsOf(OPENCODE_LIST_ARGS)).toEqual(['--format', '--pure']);
    expectFlagsInHelp(flagsOf(OPENCODE_LIST_ARGS), listHelp, 'opencode session list --help');
    expect(listHelp).toMatch(/--format\s+output format\s+\[string\] \[choices: "table", "json"\]/);
  });
});
