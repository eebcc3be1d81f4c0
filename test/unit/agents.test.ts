import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentFactories } from '../../src/agents/builtin.js';
import { CLAUDE_WORKERDECK_TOOLS, claudePreset, claudeSettings } from '../../src/agents/claude.js';
import { CODEX_SESSION_HOOK_KEY, codexConfigArgs, codexHookTrustHash, codexPreset, codexSessionHookArgs, tomlString } from '../../src/agents/codex.js';
import { GEMINI_INSTRUCTIONS_NAME, geminiPreset, geminiSettings } from '../../src/agents/gemini.js';
import { buildPresets, pickDefaultAgent } from '../../src/agents/index.js';
import { mergeConfig } from '../../src/agents/config.js';
import { opencodeConfig, opencodePreset } from '../../src/agents/opencode.js';
import { workerInstructions } from '../../src/agents/instructions.js';
import type { LaunchContext } from '../../src/agents/preset.js';
import { detectPrompt } from '../../src/core/prompt-detect.js';
import { tempDir } from '../helpers/git-repo.js';

const SESSION = '0b5c3f1e-8d7a-4c2b-9e6f-1a2b3c4d5e6f';
const IDENTITY = { WORKERDECK_WORKER_ID: 'w1', WORKERDECK_STATE_DIR: '/state', WORKERDECK_WORKER_NAME: 'api' };

function ctx(fields: Partial<LaunchContext> = {}): LaunchContext {
  return {
    askWait: 0,
    workerId: 'w1',
    name: 'api',
    task: 'Fix the bug',
    sessionId: SESSION,
    cwd: '/repo/.worktrees/api-w1',
    worktree: '/repo/.worktrees/api-w1',
    branch: 'worker/api-w1',
    stateDir: '/state',
    launcher: '/state/bin/workerdeck',
    workerDir: '/state/workers/w1',
    instructions: 'Be a good worker.',
    skipPermissions: false,
    env: {},
    ...fields,
  };
}

const asRoot = process.getuid?.() === 0;

describe('agentFactories', () => {
  it('registers claude, codex, gemini and opencode in that order, each with a version and install hint', () => {
    expect(Object.keys(agentFactories)).toEqual(['claude', 'codex', 'gemini', 'opencode']);
    for (const [name, factory] of Object.entries(agentFactories)) {
      const preset = factory(undefined);
      expect(preset.name).toBe(name);
      expect(preset.checkedVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(preset.installHint).toMatch(/^npm install -g /);
      expect(preset.supportsSkipPermissions).toBe(true);
      expect(preset.resume).toBeTypeOf('function');
      expect(preset.promptRules.length).toBeGreaterThan(6);
    }
  });

  it('picks the first installed agent, else shell', () => {
    const presets = buildPresets(mergeConfig(null, null, []), agentFactories);
    expect([...presets.keys()].slice(0, 4)).toEqual(['claude', 'codex', 'gemini', 'opencode']);
    const t = tempDir();
    try {
      expect(pickDefaultAgent(presets, undefined, mergeConfig(null, null, []), { PATH: t.dir }, t.dir)).toBe('shell');
      writeFileSync(path.join(t.dir, 'gemini'), '#!/bin/sh\n', { mode: 0o755 });
      expect(pickDefaultAgent(presets, undefined, mergeConfig(null, null, []), { PATH: t.dir }, t.dir)).toBe('gemini');
    } finally {
      t.cleanup();
    }
  });
});

describe('claude preset', () => {
  const mcp = JSON.stringify({ mcpServers: { workerdeck: { command: '/state/bin/workerdeck', args: ['mcp'], env: IDENTITY } } });
  const common = [
    '--mcp-config', mcp,
    '--append-system-prompt', 'Be a good worker.',
    '--allowedTools', 'mcp__workerdeck__ask,mcp__workerdeck__complete,mcp__workerdeck__progress',
    '--settings', '/state/workers/w1/claude-settings.json',
  ];

  it('builds a new worker with the task after --', () => {
    const launch = claudePreset(undefined).launch(ctx());
    expect(launch.command).toBe('claude');
    expect(launch.args).toEqual(['--session-id', SESSION, ...common, '--', 'Fix the bug']);
    expect(launch.args).not.toContain('--strict-mcp-config');
    expect(launch.env).toEqual({ ENABLE_TOOL_SEARCH: 'false' });
    expect(launch.typeAfterStart).toBeNull();
    expect(launch.files).toHaveLength(1);
    const settings = JSON.parse(launch.files[0]!.content);
    expect(launch.files[0]!.path).toBe('/state/workers/w1/claude-settings.json');
    expect(launch.files[0]!.exclude).toBeUndefined();
    expect(settings.skipDangerousModePermissionPrompt).toBeUndefined();
    expect(settings.hooks.Stop[0].hooks[0]).toEqual({ type: 'command', command: `'/state/bin/workerdeck' hook stop`, timeout: 30 });
    expect(settings.hooks.Notification[0].hooks[0].command).toBe(`'/state/bin/workerdeck' hook notify`);
    expect(settings.hooks.UserPromptSubmit[0].hooks[0].command).toBe(`'/state/bin/workerdeck' hook prompt`);
    expect(settings.hooks.SessionStart[0].hooks[0].command).toBe(`'/state/bin/workerdeck' hook start`);
  });

  it('a task that looks like a flag stays after --', () => {
    const launch = claudePreset(undefined).launch(ctx({ task: '--help me' }));
    expect(launch.args.slice(-2)).toEqual(['--', '--help me']);
  });

  it('skips permissions: the flag, the pre-answered warning, IS_SANDBOX only as root', () => {
    const launch = claudePreset(undefined).launch(ctx({ skipPermissions: true }));
    expect(launch.args).toEqual(['--session-id', SESSION, ...common, '--dangerously-skip-permissions', '--', 'Fix the bug']);
    expect(JSON.parse(launch.files[0]!.content).skipDangerousModePermissionPrompt).toBe(true);
    expect(launch.env.IS_SANDBOX).toBe(asRoot ? '1' : undefined);
  });

  it('resumes the same session id with the same flags and no task', () => {
    const preset = claudePreset(undefined);
    expect(preset.resume!(ctx()).args).toEqual(['--resume', SESSION, ...common]);
    expect(preset.resume!(ctx({ skipPermissions: true })).args).toEqual(['--resume', SESSION, ...common, '--dangerously-skip-permissions']);
  });

  it('applies the config override: command, args before the task, env, submit delay', () => {
    const preset = claudePreset({ command: '/opt/claude', args: ['--model', 'opus'], env: { ENABLE_TOOL_SEARCH: 'true', FOO: 'bar' }, submitDelayMs: 200 });
    const launch = preset.launch(ctx());
    expect(launch.command).toBe('/opt/claude');
    expect(launch.args.slice(-4)).toEqual(['--model', 'opus', '--', 'Fix the bug']);
    expect(launch.env).toEqual({ ENABLE_TOOL_SEARCH: 'true', FOO: 'bar' });
    expect(preset.submitDelayMs).toBe(200);
    expect(claudePreset(undefined).submitDelayMs).toBe(80);
  });

  it('quotes a launcher path with spaces and quotes for the hook shell', () => {
    const settings = claudeSettings({ launcher: "/my dir/it's/workerdeck", skipPermissions: false }) as { hooks: Record<string, [{ hooks: [{ command: string }] }]> };
    expect(settings.hooks.Stop![0].hooks[0].command).toBe(`'/my dir/it'\\''s/workerdeck' hook stop`);
  });

  it('pre-allows exactly the three workerdeck tools', () => {
    expect(CLAUDE_WORKERDECK_TOOLS).toEqual(['mcp__workerdeck__ask', 'mcp__workerdeck__complete', 'mcp__workerdeck__progress']);
  });

  it('recognises a Claude permission dialog and not plain output', () => {
    const rules = claudePreset(undefined).promptRules;
    const dialog = ['Bash command', '  rm -rf build', 'Do you want to proceed?', '❯ 1. Yes', '  2. Yes, and don\'t ask again', '  3. No, and tell Claude what to do differently (esc)'];
    expect(detectPrompt(dialog, rules)).toBe('permission prompt');
    expect(detectPrompt(['● I will now edit the file.', '  ⎿  Updated src/a.ts'], rules)).toBeNull();
  });
});

describe('codex preset', () => {
  it('escapes TOML basic strings: quotes, backslashes, newlines, tabs, control characters', () => {
    expect(tomlString('plain')).toBe('"plain"');
    expect(tomlString('say "hi"')).toBe('"say \\"hi\\""');
    expect(tomlString('C:\\dir\\n')).toBe('"C:\\\\dir\\\\n"');
    expect(tomlString('a\nb\r\nc\td')).toBe('"a\\nb\\r\\nc\\td"');
    expect(tomlString('bell\u0007 del\u007f esc\u001b')).toBe('"bell\\u0007 del\\u007F esc\\u001B"');
    expect(tomlString('ünïcode ✓')).toBe('"ünïcode ✓"');
    expect(tomlString('\\"')).toBe('"\\\\\\""');
  });

  const config = (c: LaunchContext) => [
    '-c', `mcp_servers.workerdeck={command="${c.launcher}",args=["mcp"],env={WORKERDECK_WORKER_ID="w1",WORKERDECK_STATE_DIR="/state",WORKERDECK_WORKER_NAME="api"},default_tools_approval_mode="approve"}`,
    '-c', `developer_instructions="Line one \\"quoted\\"\\nback\\\\slash"`,
    '-c', 'projects={"/repo/.worktrees/api-w1"={trust_level="trusted"}}',
    '-c', `hooks.SessionStart=[{hooks=[{type="command",command="'/state/bin/workerdeck' hook session",timeout=30}]}]`,
    '-c', `hooks.state={"/<session-flags>/config.toml:session_start:0:0"={trusted_hash="${codexHookTrustHash("'/state/bin/workerdeck' hook session")}"}}`,
  ];
  const c = ctx({ instructions: 'Line one "quoted"\nback\\slash' });
  const CODEX_ID = '01a22d84-4433-79d0-b971-e5f1f75b704c';

  it('builds a new worker: -c overrides, then -- and the task', () => {
    const launch = codexPreset(undefined).launch(c);
    expect(launch.command).toBe('codex');
    expect(launch.args).toEqual([...config(c), '--', 'Fix the bug']);
    expect(launch.env).toEqual({});
    expect(launch.files).toEqual([]);
  });

  it('skips permissions with --dangerously-bypass-approvals-and-sandbox (never --full-auto)', () => {
    const launch = codexPreset(undefined).launch({ ...c, skipPermissions: true });
    expect(launch.args).toEqual([...config(c), '--dangerously-bypass-approvals-and-sandbox', '--', 'Fix the bug']);
    expect(launch.args).not.toContain('--full-auto');
  });

  it('resumes its own session by id with the same overrides, never resume --last', () => {
    const preset = codexPreset(undefined);
    expect(preset.resume!({ ...c, sessionId: CODEX_ID }).args).toEqual(['resume', CODEX_ID, ...config(c)]);
    expect(preset.resume!({ ...c, sessionId: CODEX_ID, skipPermissions: true }).args).toEqual(['resume', CODEX_ID, ...config(c), '--dangerously-bypass-approvals-and-sandbox']);
    expect(() => preset.resume!({ ...c, sessionId: 'ses_notacodexid1' })).toThrow(/Cannot resume api: its Codex session is not known/);
  });

  it('trusts its own SessionStart hook by hash, never with --dangerously-bypass-hook-trust', () => {
    // What codex 0.169.0 wrote into hooks.state when this hook, given with -c, was trusted by hand in its dialog.
    expect(codexHookTrustHash(`'/opt/wd/bin/workerdeck' hook session`)).toBe('sha256:61f115962947a1fd6d65c60eece16ac67db0f237d2c22a0bf4e84264b7ef4a24');
    const args = codexSessionHookArgs({ launcher: "/my dir/it's" });
    // The shell-quoted command inside a TOML string: its backslash is doubled.
    expect(args[1]).toBe(`hooks.SessionStart=[{hooks=[{type="command",command="'/my dir/it'\\\\''s' hook session",timeout=30}]}]`);
    expect(args[3]).toBe(`hooks.state={${tomlString(CODEX_SESSION_HOOK_KEY)}={trusted_hash="${codexHookTrustHash(`'/my dir/it'\\''s' hook session`)}"}}`);
    expect(codexPreset(undefined).launch(c).args).not.toContain('--dangerously-bypass-hook-trust');
  });

  it('trusts the cwd when there is no worktree, and quotes odd paths', () => {
    const args = codexConfigArgs(ctx({ worktree: null, cwd: '/home/me/my "repo"', launcher: '/x/work deck' }));
    expect(args[5]).toBe('projects={"/home/me/my \\"repo\\""={trust_level="trusted"}}');
    expect(args[1]).toContain('command="/x/work deck"');
  });
});

describe('gemini preset', () => {
  let cleanup: (() => void) | null = null;
  afterEach(() => {
    cleanup?.();
    cleanup = null;
  });

  it("refuses to run without a worktree, so it never writes into the user's checkout", () => {
    const preset = geminiPreset(undefined);
    expect(() => preset.launch(ctx({ worktree: null, cwd: '/repo' }))).toThrow(/needs a worktree/);
    expect(() => preset.resume?.(ctx({ worktree: null, cwd: '/repo' }))).toThrow(/needs a worktree/);
  });

  it('builds a new worker: settings and instructions in .gemini/ (excluded), trust env, -i task', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const preset = geminiPreset(undefined);
    const launch = preset.launch(ctx({ cwd: t.dir, worktree: t.dir }));
    expect(launch.command).toBe('gemini');
    expect(launch.args).toEqual(['--session-id', SESSION, '-i', 'Fix the bug']);
    expect(launch.env).toEqual({ GEMINI_CLI_TRUST_WORKSPACE: 'true' });
    expect(launch.files.map((f) => [f.path, f.exclude])).toEqual([
      [path.join(t.dir, '.gemini', 'settings.json'), '.gemini/'],
      [path.join(t.dir, '.gemini', 'workerdeck.md'), '.gemini/'],
    ]);
    expect(JSON.parse(launch.files[0]!.content)).toEqual({
      mcpServers: { workerdeck: { command: '/state/bin/workerdeck', args: ['mcp'], env: IDENTITY, trust: true } },
      context: { fileName: ['GEMINI.md', GEMINI_INSTRUCTIONS_NAME] },
    });
    expect(launch.files[1]!.content).toBe('Be a good worker.\n');
    expect(preset.submitDelayMs).toBeGreaterThanOrEqual(500);
  });

  it('skips permissions with --approval-mode yolo, and resumes by session id', () => {
    const preset = geminiPreset(undefined);
    expect(preset.launch(ctx({ skipPermissions: true })).args).toEqual(['--session-id', SESSION, '--approval-mode', 'yolo', '-i', 'Fix the bug']);
    expect(preset.resume!(ctx()).args).toEqual(['--resume', SESSION]);
    expect(preset.resume!(ctx({ skipPermissions: true })).args).toEqual(['--resume', SESSION, '--approval-mode', 'yolo']);
  });

  it('passes a task that starts with - as --prompt-interactive=…', () => {
    expect(geminiPreset(undefined).launch(ctx({ task: '-v is broken' })).args).toEqual(['--session-id', SESSION, '--prompt-interactive=-v is broken']);
  });

  it('merges a settings file the repo already has, keeping its servers and context files', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(path.join(t.dir, '.gemini'));
    writeFileSync(path.join(t.dir, '.gemini', 'settings.json'), JSON.stringify({ mcpServers: { mine: { command: 'x' } }, context: { fileName: 'AGENTS.md' }, ui: { theme: 'x' } }));
    const settings = JSON.parse(geminiPreset(undefined).launch(ctx({ cwd: t.dir, worktree: t.dir })).files[0]!.content);
    expect(Object.keys(settings.mcpServers)).toEqual(['mine', 'workerdeck']);
    expect(settings.context.fileName).toEqual(['AGENTS.md', GEMINI_INSTRUCTIONS_NAME]);
    expect(settings.ui).toEqual({ theme: 'x' });
    // Merging our own earlier file again changes nothing.
    expect(geminiSettings(ctx(), JSON.stringify(settings), 'f')).toEqual(geminiSettings(ctx(), JSON.stringify(settings), 'f'));
    expect((geminiSettings(ctx(), JSON.stringify(settings), 'f').context as { fileName: string[] }).fileName).toEqual(['AGENTS.md', GEMINI_INSTRUCTIONS_NAME]);
  });

  it('refuses to overwrite a settings file it cannot parse, naming the file', () => {
    expect(() => geminiSettings(ctx(), '{ // comment\n}', '/r/.gemini/settings.json')).toThrow(/\/r\/\.gemini\/settings\.json: it is not a plain JSON object/);
  });

  it('never goes below 500 ms between typed text and Enter', () => {
    expect(geminiPreset({ submitDelayMs: 10 }).submitDelayMs).toBe(500);
  });
});

describe('opencode preset', () => {
  const expectedConfig = {
    $schema: 'https://opencode.ai/config.json',
    mcp: { workerdeck: { type: 'local', command: ['/state/bin/workerdeck', 'mcp'], environment: IDENTITY, enabled: true } },
    instructions: ['/state/workers/w1/instructions.md'],
  };

  it('builds a new worker: config in OPENCODE_CONFIG_CONTENT, instructions file, --prompt task', () => {
    const launch = opencodePreset(undefined).launch(ctx());
    expect(launch.command).toBe('opencode');
    expect(launch.args).toEqual(['--prompt', 'Fix the bug']);
    expect(Object.keys(launch.env)).toEqual(['OPENCODE_CONFIG_CONTENT']);
    expect(JSON.parse(launch.env.OPENCODE_CONFIG_CONTENT!)).toEqual(expectedConfig);
    expect(launch.files).toEqual([{ path: '/state/workers/w1/instructions.md', content: 'Be a good worker.\n' }]);
  });

  it('skips permissions with --auto; resumes its own session with --session, never --continue', () => {
    const preset = opencodePreset(undefined);
    expect(preset.launch(ctx({ skipPermissions: true })).args).toEqual(['--auto', '--prompt', 'Fix the bug']);
    expect(preset.resume!(ctx({ sessionId: 'ses_dd2a4d66effe3aNd7dIWR9LPe0' })).args).toEqual(['--session', 'ses_dd2a4d66effe3aNd7dIWR9LPe0']);
    expect(preset.resume!(ctx({ sessionId: 'ses_dd2a4d66effe3aNd7dIWR9LPe0', skipPermissions: true })).args).toEqual(['--session', 'ses_dd2a4d66effe3aNd7dIWR9LPe0', '--auto']);
    // The deck's own UUID is not an opencode session: refusing beats opening the project's latest session.
    expect(() => preset.resume!(ctx())).toThrow(/Cannot resume api: its opencode session is not known/);
    expect(preset.launch(ctx({ task: '--x' })).args).toEqual(['--prompt=--x']);
  });
});

describe('ask in wait mode', () => {
  const WAIT = { ...IDENTITY, WORKERDECK_ASK_WAIT: '600' };

  it('claude: the wait in the MCP env, and a per-server timeout (ms) above it', () => {
    const args = claudePreset({}).launch(ctx({ askWait: 600 })).args;
    const config = JSON.parse(args[args.indexOf('--mcp-config') + 1]!) as { mcpServers: { workerdeck: Record<string, unknown> } };
    expect(config.mcpServers.workerdeck).toMatchObject({ env: WAIT, timeout: 660_000 });
    expect(args[args.indexOf('--append-system-prompt') + 1]).toBe(ctx().instructions);
    // Type mode sets neither.
    const typeArgs = claudePreset({}).launch(ctx()).args;
    expect(JSON.parse(typeArgs[typeArgs.indexOf('--mcp-config') + 1]!).mcpServers.workerdeck).not.toHaveProperty('timeout');
  });

  it('codex: tool_timeout_sec in the mcp_servers entry', () => {
    const args = codexConfigArgs(ctx({ askWait: 600 }));
    const server = args.find((a) => a.startsWith('mcp_servers.workerdeck='))!;
    expect(server).toContain('tool_timeout_sec=660');
    expect(server).toContain('WORKERDECK_ASK_WAIT="600"');
    expect(codexConfigArgs(ctx()).find((a) => a.startsWith('mcp_servers.workerdeck='))).not.toContain('tool_timeout_sec');
  });

  it('gemini and opencode: the server timeout (ms) and the wait in its env', () => {
    const gemini = geminiSettings({ ...ctx(), askWait: 600 }, null, 'settings.json') as { mcpServers: { workerdeck: Record<string, unknown> } };
    expect(gemini.mcpServers.workerdeck).toMatchObject({ env: WAIT, timeout: 660_000 });
    const opencode = opencodeConfig({ ...ctx(), askWait: 600 }, '/i.md') as { mcp: { workerdeck: Record<string, unknown> } };
    expect(opencode.mcp.workerdeck).toMatchObject({ environment: WAIT, timeout: 660_000 });
  });

  it('the worker instructions say whether to end the turn after ask', () => {
    const worker = { name: 'api', worktree: null, branch: null, cwd: '/x' };
    expect(workerInstructions(worker)).toMatch(/call `ask` with one clear question, then END YOUR TURN/);
    expect(workerInstructions(worker, 600)).toMatch(/returns their answer as its result: do not end your turn/);
  });
});
