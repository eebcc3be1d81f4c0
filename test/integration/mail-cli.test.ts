import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { tempDir } from '../helpers/git-repo.js';
import { BIN } from '../helpers/term.js';

let cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The user's env without any WORKERDECK_* variable: what a shell outside a worker has. */
function plainEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WORKERDECK_')) env[k] = v;
  return env;
}

function mail(args: string[], options: { env?: Record<string, string>; input?: string; cwd: string }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, 'mail', ...args], {
    cwd: options.cwd,
    env: { ...plainEnv(), ...(options.env ?? {}) },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  });
}

async function worker(): Promise<{ layout: StateLayout; env: Record<string, string>; cwd: string }> {
  const state = tempDir('wd-cli-');
  cleanups.push(state.cleanup);
  const layout = await prepareStateDir(state.dir);
  return { layout, cwd: state.dir, env: { WORKERDECK_WORKER_ID: 'b7e2', WORKERDECK_WORKER_NAME: 'docs', WORKERDECK_STATE_DIR: layout.dir } };
}

function onlyMail(layout: StateLayout): Record<string, unknown> {
  const files = readdirSync(layout.mail.new);
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(layout.mail.new, files[0]!), 'utf8')) as Record<string, unknown>;
}

describe('workerdeck mail', () => {
  it('outside a worker exits 2 with a clear message and writes nothing', async () => {
    const { layout, cwd } = await worker();
    const r = mail(['progress', 'hello'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('This is not a workerdeck worker: WORKERDECK_WORKER_ID and WORKERDECK_STATE_DIR are not set.');
    expect(readdirSync(layout.mail.new)).toEqual([]);
  });

  it('inside a worker prints the id and writes the mail file', async () => {
    const { layout, env, cwd } = await worker();
    const r = mail(['progress', 'tests', 'pass'], { cwd, env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(UUID);
    expect(onlyMail(layout)).toMatchObject({ id, workerId: 'b7e2', workerName: 'docs', type: 'progress', content: 'tests pass' });
    expect(readdirSync(layout.mail.tmp)).toEqual([]);
  });

  it('maps ask to a question and complete to a completion', async () => {
    const { layout, env, cwd } = await worker();
    expect(mail(['ask', 'Which', 'branch?'], { cwd, env }).status).toBe(0);
    expect(onlyMail(layout)).toMatchObject({ type: 'question', content: 'Which branch?' });
    const other = await worker();
    expect(mail(['complete', 'done'], { cwd: other.cwd, env: other.env }).status).toBe(0);
    expect(onlyMail(other.layout)).toMatchObject({ type: 'completion', content: 'done' });
  });

  it('- reads the text from stdin', async () => {
    const { layout, env, cwd } = await worker();
    const r = mail(['complete', '-'], { cwd, env, input: 'line one\nline two\n' });
    expect(r.status).toBe(0);
    expect(onlyMail(layout)).toMatchObject({ id: r.stdout.trim(), type: 'completion', content: 'line one\nline two' });
  });

  it('refuses an unknown kind and an empty message with usage errors', async () => {
    const { layout, env, cwd } = await worker();
    const bad = mail(['shout', 'hi'], { cwd, env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Usage: workerdeck mail ask|complete|progress|error');
    const empty = mail(['progress', '-'], { cwd, env, input: '  \n' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('The message is empty.');
    expect(readdirSync(layout.mail.new)).toEqual([]);
  });

  it('says what to do when the state dir has no mail dir', async () => {
    const state = tempDir('wd-cli-nomail-');
    cleanups.push(state.cleanup);
    const r = mail(['progress', 'x'], { cwd: state.dir, env: { WORKERDECK_WORKER_ID: 'b7e2', WORKERDECK_STATE_DIR: path.join(state.dir, 'nowhere') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/No deck mail dir at .*nowhere\/mail\. Is WORKERDECK_STATE_DIR right/);
  });
});
