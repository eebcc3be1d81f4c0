import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ASK_RESULT } from '../../src/mcp/server.js';
import { prepareStateDir, type StateLayout } from '../../src/registry/state-dir.js';
import { processGone, trackResources } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { BIN, waitFor } from '../helpers/term.js';

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

async function connect(env: Record<string, string>): Promise<{ client: Client; transport: StdioClientTransport; layout: StateLayout }> {
  const state = tempDir('wd-mcp-');
  const layout = await prepareStateDir(state.dir);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    env: { WORKERDECK_WORKER_ID: 'a3f1', WORKERDECK_WORKER_NAME: 'refactor-auth', WORKERDECK_STATE_DIR: layout.dir, ...env },
    cwd: state.dir,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'workerdeck-test', version: '0.0.0' });
  cleanups.push(async () => {
    await client.close();
    state.cleanup();
  });
  await client.connect(transport);
  if (transport.pid !== null) pids.push(transport.pid);
  return { client, transport, layout };
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = result.content as { type: string; text?: string }[];
  return content.map((c) => c.text ?? '').join('');
}

function newMail(layout: StateLayout): Record<string, unknown>[] {
  return readdirSync(layout.mail.new).map((f) => JSON.parse(readFileSync(path.join(layout.mail.new, f), 'utf8')) as Record<string, unknown>);
}

describe('workerdeck mcp', () => {
  it('is the workerdeck server with the ask, complete and progress tools', async () => {
    const { client, transport } = await connect({});
    expect(transport.pid).not.toBeNull();
    expect(client.getServerVersion()?.name).toBe('workerdeck');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'complete', 'progress']);
    const ask = tools.find((t) => t.name === 'ask')!;
    expect(ask.inputSchema.required).toEqual(['question']);
    expect(ask.description).toMatch(/END YOUR TURN/);
  });

  it('ask writes a question mail and tells the agent to end its turn', async () => {
    const { client, layout } = await connect({});
    const result = await client.callTool({ name: 'ask', arguments: { question: 'Postgres or SQLite?' } });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toContain('End your turn now and wait');
    expect(text.startsWith(ASK_RESULT)).toBe(true);
    const mail = newMail(layout);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ workerId: 'a3f1', workerName: 'refactor-auth', type: 'question', content: 'Postgres or SQLite?' });
    expect(text).toContain(`(message ${String(mail[0]!.id)})`);
    expect(readdirSync(layout.mail.tmp)).toEqual([]);
  });

  it('complete and progress write their mail types', async () => {
    const { client, layout } = await connect({});
    expect(textOf(await client.callTool({ name: 'complete', arguments: { summary: 'All done, tests pass.' } }))).toMatch(/You can end your turn/);
    expect(textOf(await client.callTool({ name: 'progress', arguments: { note: 'half way' } }))).toBe('Noted. Keep going.');
    const types = newMail(layout).map((m) => `${String(m.type)}:${String(m.content)}`).sort();
    expect(types).toEqual(['completion:All done, tests pass.', 'progress:half way']);
  });

  it('reports an error to the agent when the mail dir is missing', async () => {
    const { client, layout } = await connect({});
    const { rmSync } = await import('node:fs');
    rmSync(layout.mail.root, { recursive: true, force: true });
    const result = await client.callTool({ name: 'ask', arguments: { question: 'anyone?' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^The message could not be delivered to the deck: No deck mail dir at /);
  });

  it('ends when the client closes', async () => {
    const { client, transport } = await connect({});
    const pid = transport.pid!;
    expect(processGone(pid)).toBe(false);
    await client.close();
    await waitFor(() => processGone(pid), 'the MCP server to exit', 10_000);
  });
});
