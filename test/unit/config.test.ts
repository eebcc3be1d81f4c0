import { describe, expect, it } from 'vitest';
import { ASK_WAIT_S, askWaitFor, ConfigError, DEFAULT_NUDGE, loadConfigTolerant, mergeConfig, watchdogFor } from '../../src/agents/config.js';
import { parseConfigText } from '../../src/agents/config-schema.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/git-repo.js';

const FILE = '/repo/.workerdeck.json';

function errorOf(text: string): Error {
  try {
    parseConfigText(FILE, text);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseConfigText', () => {
  it('accepts a valid config', () => {
    const config = parseConfigText(
      FILE,
      JSON.stringify({ defaultAgent: 'custom', presets: { custom: { command: 'aider', args: ['--message', '{task}'] } }, keys: { spawn: 'N' }, notify: { bell: false } }),
    );
    expect(config.presets?.custom?.args).toEqual(['--message', '{task}']);
    expect(config.keys).toEqual({ spawn: 'N' });
  });

  it('names the file and an unknown top-level key', () => {
    const error = errorOf('{"defaultAgnet": "claude"}');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${FILE}: top level: unknown key "defaultAgnet"`);
  });

  it('names the file and field of a nested unknown key', () => {
    expect(errorOf('{"presets": {"custom": {"comand": "x"}}}').message).toBe(`${FILE}: field "presets.custom": unknown key "comand"`);
  });

  it('names the file and field of a wrong type', () => {
    const message = errorOf('{"presets": {"custom": {"args": "--yes"}}}').message;
    expect(message).toMatch(new RegExp(`^${FILE.replace(/\./g, '\\.')}: field "presets\\.custom\\.args": `));
    expect(message).toMatch(/expected array/);
    expect(errorOf('{"skipPermissions": "yes"}').message).toMatch(/field "skipPermissions": .*expected boolean/);
    expect(errorOf('{"presets": {"Bad Name": {}}}').message).toMatch(/field "presets\.Bad Name": preset names are lowercase/);
  });

  it('names the file when the text is not JSON', () => {
    expect(errorOf('{ nope').message).toMatch(new RegExp(`^${FILE.replace(/\./g, '\\.')}: not valid JSON: `));
  });
});

describe('mergeConfig', () => {
  it('fills defaults', () => {
    const config = mergeConfig(null, null, []);
    expect(config).toEqual({
      defaultAgent: null,
      presets: {},
      keys: {},
      detachKey: 'ctrl+]',
      theme: null,
      skipPermissions: false,
      nudge: DEFAULT_NUDGE,
      notify: { bell: true, title: true, command: null, timeout: 10, desktop: 'off', desktopWhen: 'unfocused' },
      serverIdleExit: 600,
      mergeStrategy: 'merge',
      validate: null,
      watchdog: {},
      maxWorkers: 0,
      permissionTimeout: 300,
      ask: {},
      sources: [],
      notices: [],
    });
  });

  it('takes each watchdog key from the spawn, else the preset, else the top level (the repo winning), else off', () => {
    const user = parseConfigText('user.json', JSON.stringify({ timeout: 3600, idleTimeout: 60, onTimeout: 'nudge', resumeAfterLimit: true }));
    const repo = parseConfigText('repo.json', JSON.stringify({ idleTimeout: 120, presets: { claude: { idleTimeout: 300, onTimeout: 'fail', resumeAfterLimit: false } } }));
    const config = mergeConfig(user, repo, ['user.json', 'repo.json']);
    expect(watchdogFor(config, 'shell')).toEqual({ timeout: 3600, idleTimeout: 120, onTimeout: 'nudge', remindAfter: 0, resumeAfterLimit: true });
    expect(watchdogFor(config, 'claude')).toEqual({ timeout: 3600, idleTimeout: 300, onTimeout: 'fail', remindAfter: 0, resumeAfterLimit: false });
    expect(watchdogFor(config, 'claude', { idleTimeout: 0 })).toEqual({ timeout: 3600, idleTimeout: 0, onTimeout: 'fail', remindAfter: 0, resumeAfterLimit: false });
    expect(watchdogFor(mergeConfig(null, null, []), 'shell')).toEqual({ timeout: 0, idleTimeout: 0, onTimeout: 'fail', remindAfter: 0, resumeAfterLimit: false });
    expect(() => parseConfigText('c.json', '{"idleTimeout": -1}')).toThrow(/idleTimeout/);
  });

  it('asks in wait mode by default only for claude; ask and askWait come from the preset, else the top level (the repo winning)', () => {
    const none = mergeConfig(null, null, []);
    expect(askWaitFor(none, 'claude')).toBe(ASK_WAIT_S);
    expect(askWaitFor(none, 'codex')).toBe(0);
    expect(askWaitFor(none, 'shell')).toBe(0);
    const user = parseConfigText('user.json', JSON.stringify({ ask: 'wait', askWait: 600 }));
    const repo = parseConfigText('repo.json', JSON.stringify({ askWait: 900, presets: { claude: { ask: 'type' }, gemini: { askWait: 300 } } }));
    const config = mergeConfig(user, repo, ['user.json', 'repo.json']);
    expect(askWaitFor(config, 'claude')).toBe(0);
    expect(askWaitFor(config, 'gemini')).toBe(300);
    expect(askWaitFor(config, 'codex')).toBe(900);
    expect(() => parseConfigText('c.json', '{"ask": "later"}')).toThrow(/ask/);
    expect(() => parseConfigText('c.json', '{"askWait": 0}')).toThrow(/askWait/);
  });

  it("lets the repo's values win, merging presets and keys per entry", () => {
    const user = parseConfigText('user.json', JSON.stringify({
      defaultAgent: 'claude',
      detachKey: 'ctrl+q',
      skipPermissions: true,
      keys: { spawn: 'N', quit: 'Q' },
      presets: { custom: { command: 'aider', args: ['a'] }, mine: { command: 'x' } },
      notify: { bell: false, title: false },
    }));
    const repo = parseConfigText('repo.json', JSON.stringify({
      defaultAgent: 'codex',
      skipPermissions: false,
      keys: { spawn: 'S' },
      presets: { custom: { args: ['b'] } },
      notify: { title: true },
    }));
    const config = mergeConfig(user, repo, ['user.json', 'repo.json']);
    expect(config.defaultAgent).toBe('codex');
    expect(config.detachKey).toBe('ctrl+q');
    expect(config.skipPermissions).toBe(false);
    expect(config.keys).toEqual({ spawn: 'S', quit: 'Q' });
    expect(config.presets).toEqual({ custom: { command: 'aider', args: ['b'] }, mine: { command: 'x' } });
    expect(config.notify).toEqual({ bell: false, title: true, command: null, timeout: 10, desktop: 'off', desktopWhen: 'unfocused' });
    expect(config.sources).toEqual(['user.json', 'repo.json']);
  });

  it("never lets a repo's file turn skipping permissions on", () => {
    const user = parseConfigText('user.json', '{}');
    const repo = parseConfigText('repo.json', '{"skipPermissions": true}');
    const config = mergeConfig(user, repo, ['repo.json']);
    expect(config.skipPermissions).toBe(false);
    expect(config.notices).toEqual([expect.stringContaining('repo.json: "skipPermissions": true is ignored')]);
    expect(mergeConfig(parseConfigText('user.json', '{"skipPermissions": true}'), null, ['user.json']).skipPermissions).toBe(true);
  });
});

describe('validateFor', () => {
  it("takes a preset's own validate over the top-level one, and fills the defaults", async () => {
    const { validateFor } = await import('../../src/agents/config.js');
    const config = mergeConfig(
      parseConfigText('user.json', JSON.stringify({ validate: 'npm test', presets: { claude: { validate: { command: 'make check', retries: 2 } } } })),
      null,
      [],
    );
    expect(validateFor(config, 'shell')).toEqual({ command: 'npm test', timeout: 600, retries: 0 });
    expect(validateFor(config, 'claude')).toEqual({ command: 'make check', timeout: 600, retries: 2 });
    expect(validateFor(mergeConfig(null, null, []), 'shell')).toBeNull();
    expect(() => parseConfigText('x.json', JSON.stringify({ validate: { command: 'x', retries: -1 } }))).toThrow(/validate/);
  });
});

describe('loadConfigTolerant', () => {
  it('reports both broken files, each with its field, and runs on with the defaults', async () => {
    const home = tempDir('wd-cfg-home-');
    const repo = tempDir('wd-cfg-repo-');
    try {
      mkdirSync(path.join(home.dir, 'workerdeck'), { recursive: true });
      writeFileSync(path.join(home.dir, 'workerdeck', 'config.json'), '{"maxWorkers": "two"}');
      writeFileSync(path.join(repo.dir, '.workerdeck.json'), '{"idleTimeout": -5}');
      const { config, warnings } = await loadConfigTolerant({ XDG_CONFIG_HOME: home.dir }, repo.dir);
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/config\.json: .*maxWorkers.*ignored until it is fixed/);
      expect(warnings[1]).toMatch(/\.workerdeck\.json: .*idleTimeout.*ignored until it is fixed/);
      expect(config.maxWorkers).toBe(0);
      expect(config.sources).toEqual([]);
    } finally {
      home.cleanup();
      repo.cleanup();
    }
  });
});
