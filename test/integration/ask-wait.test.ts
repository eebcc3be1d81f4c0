import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Deck } from '../../src/deck.js';
import { readTurn } from '../../src/agents/hook.js';
import { askDir, deliverReply, markWaiting, waitForReply } from '../../src/mail/ask-wait.js';
import { ASK_ANSWER_PREFIX, ASK_RESULT, ASK_WAIT_EXPIRED } from '../../src/mcp/server.js';
import { spawnNodePty } from '../../src/pty/node-pty-host.js';
import type { PtySpawner } from '../../src/pty/types.js';
import { processRunning } from '../../src/registry/pid.js';
import type { StateLayout } from '../../src/registry/state-dir.js';
import { makeDeck, request, testPresets, trackResources, waitForScreen } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { BIN, waitFor } from '../helpers/term.js';

/** Cleanups and every pid a test started, checked for survivors after it. */
const { cleanups, pids } = trackResources();

/** A deck on real node-pty with a `/bin/sh` worker; every byte written to its PTYs is recorded. */
async function shellDeck(): Promise<{ deck: Deck; layout: StateLayout; typed: string[]; id: string }> {
  const cwd = tempDir('wd-askw-cwd-');
  const state = tempDir('wd-askw-state-');
  const typed: string[] = [];
  const spawner: PtySpawner = (options) => {
    const pty = spawnNodePty(options);
    const write = pty.write.bind(pty);
    pty.write = (data: string) => {
      typed.push(data);
      write(data);
    };
    return pty;
  };
  const { deck, layout, registry } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets() });
  cleanups.push(async () => {
    await deck.shutdown(200);
    await registry.flush();
    cwd.cleanup();
    state.cleanup();
  });
  const worker = await deck.spawn(request({ agent: 'shell', name: 'sh' }));
  pids.push(worker.pid!);
  return { deck, layout, typed, id: worker.id };
}

/** `workerdeck mcp` (the built binary) for worker `id`, with a real MCP stdio client. */
async function mcpFor(layout: StateLayout, id: string, askWaitS: number): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    env: { WORKERDECK_WORKER_ID: id, WORKERDECK_WORKER_NAME: 'sh', WORKERDECK_STATE_DIR: layout.dir, WORKERDECK_ASK_WAIT: String(askWaitS) },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'workerdeck-test', version: '0.0.0' });
  cleanups.push(() => client.close());
  await client.connect(transport);
  if (transport.pid !== null) pids.push(transport.pid);
  return client;
}

/** The id of the one question in mail/new, once it is there. */
async function questionId(layout: StateLayout): Promise<string> {
  const id = await waitFor(() => {
    const names = readdirSync(layout.mail.new);
    if (names.length === 0) return false;
    return String((JSON.parse(readFileSync(path.join(layout.mail.new, names[0]!), 'utf8')) as { id: string }).id);
  }, 'the question mail');
  return id as string;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { text?: string }[]).map((c) => c.text ?? '').join('');
}

describe('ask in wait mode', () => {
  it('returns the operator reply as the tool result and types nothing into the PTY', async () => {
    const { deck, layout, typed, id } = await shellDeck();
    const client = await mcpFor(layout, id, 120);
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'ask')?.description).toMatch(/do NOT end your turn/);
    const asked = client.callTool({ name: 'ask', arguments: { question: 'Postgres or SQLite?' } }, undefined, { timeout: 60_000 });
    const q = await questionId(layout);
    const before = typed.length;
    const reply = await deck.type(id, 'SQLite, marker-7781', 'reply', q);
    const result = await asked;
    expect(textOf(result)).toBe(`${ASK_ANSWER_PREFIX}\nSQLite, marker-7781`);
    expect(reply.via).toBe('tool-result');
    expect(typed.slice(before).join('')).toBe('');
    expect(deck.getState().replies.at(-1)).toMatchObject({ inReplyTo: q, content: 'SQLite, marker-7781', via: 'tool-result' });
    // The record: events.jsonl has the reply, marked as the tool result.
    await waitFor(() => /"operator-wrote".*"via":"tool-result"/.test(readFileSync(layout.eventsFile, 'utf8')), 'the reply in events.jsonl');
    // The answer starts what the agent must report on next (Claude's Stop hook).
    expect((await readTurn(layout.dir, id)).turnStart).toBeGreaterThanOrEqual(reply.timestamp - 5000);
    // Nothing is left in the hand-over dir.
    expect(readdirSync(askDir(layout.workerFiles, id))).toEqual([]);
  });

  it('falls back when the wait runs out: the agent is told to end its turn, and the reply is typed later', async () => {
    const { deck, layout, typed, id } = await shellDeck();
    const client = await mcpFor(layout, id, 1);
    const result = await client.callTool({ name: 'ask', arguments: { question: 'Go on?' } });
    const q = await questionId(layout);
    expect(textOf(result)).toBe(`${ASK_WAIT_EXPIRED} ${ASK_RESULT} (message ${q})`);
    const reply = await deck.type(id, 'echo replied-$((6*7))', 'reply', q);
    expect(reply.via).toBeUndefined();
    expect(typed.join('')).toContain('echo replied-$((6*7))');
    await waitForScreen(deck, id, /replied-42/, 'the typed reply to run');
  });

  it('loses and doubles no reply when it arrives as the wait runs out', async () => {
    const { layout, id } = await shellDeck();
    const outcomes: string[] = [];
    for (let round = 0; round < 24; round++) {
      const q = `race-${round}`;
      // The delivery starts about when the wait runs out: a little before, at, or a little after.
      const waitMs = 20 + (round % 4) * 25;
      const offset = ((round % 3) - 1) * 3;
      await markWaiting(layout.workerFiles, id, q, waitMs);
      const [waited, delivered] = await Promise.all([
        waitForReply({ workerFiles: layout.workerFiles, workerId: id, questionId: q, waitMs }),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs + offset))).then(() =>
          deliverReply({ workerFiles: layout.workerFiles, workerId: id, questionId: q, content: `answer ${round}` }),
        ),
      ]);
      // Delivered as the tool result exactly when the waiter has it; otherwise it is typed, and the waiter has none.
      if (delivered) expect(waited).toEqual({ reply: `answer ${round}` });
      else expect(waited).toEqual({ reply: null, why: 'timeout' });
      outcomes.push(delivered ? 'result' : 'typed');
      expect(readdirSync(askDir(layout.workerFiles, id))).toEqual([]);
    }
    expect(outcomes).toHaveLength(24);
  });

  it('a wait that runs out right after the deck claimed the question still returns the reply; a reply nobody takes is taken back', async () => {
    const { layout, id } = await shellDeck();
    const dir = askDir(layout.workerFiles, id);
    await markWaiting(layout.workerFiles, id, 'q1', 0);
    // The deck's claim, then its reply file a moment later: the waiter's own claim has lost.
    renameSync(path.join(dir, 'q1.wait'), path.join(dir, 'q1.deck'));
    const waited = waitForReply({ workerFiles: layout.workerFiles, workerId: id, questionId: 'q1', waitMs: 0 });
    writeFileSync(path.join(dir, 'q1.reply'), JSON.stringify({ content: 'late but claimed' }));
    expect(await waited).toEqual({ reply: 'late but claimed' });
    // A live waiter that never takes the reply: the deck takes it back, to type it.
    await markWaiting(layout.workerFiles, id, 'q2', 60_000);
    expect(await deliverReply({ workerFiles: layout.workerFiles, workerId: id, questionId: 'q2', content: 'x', takeTimeoutMs: 300 })).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('types the reply when the agent cancelled the waiting ask', async () => {
    const { deck, layout, typed, id } = await shellDeck();
    const client = await mcpFor(layout, id, 600);
    const abort = new AbortController();
    const asked = client.callTool({ name: 'ask', arguments: { question: 'Cancel me?' } }, undefined, { signal: abort.signal }).catch((error: Error) => error);
    const q = await questionId(layout);
    abort.abort();
    expect(await asked).toBeInstanceOf(Error);
    // The server gives the question up: its mark goes.
    await waitFor(() => !readdirSync(askDir(layout.workerFiles, id)).includes(`${q}.wait`), 'the mark to go');
    const reply = await deck.type(id, 'echo cancelled-$((3*3))', 'reply', q);
    expect(reply.via).toBeUndefined();
    expect(typed.join('')).toContain('echo cancelled-$((3*3))');
    await waitForScreen(deck, id, /cancelled-9/, 'the typed reply to run');
  });

  it('types the reply when the waiting MCP process is gone', async () => {
    const { deck, layout, typed, id } = await shellDeck();
    const client = await mcpFor(layout, id, 600);
    const asked = client.callTool({ name: 'ask', arguments: { question: 'Still there?' } }).catch(() => null);
    const q = await questionId(layout);
    // The agent exits: its MCP server goes with it, its mark stays behind.
    await client.close();
    await asked;
    expect(readdirSync(askDir(layout.workerFiles, id))).toContain(`${q}.wait`);
    await waitFor(() => pids.every((pid) => pid === deck.getState().workers[id]?.pid || !processRunning(pid)), 'the MCP process to exit');
    const reply = await deck.type(id, 'echo gone-$((2*3))', 'reply', q);
    expect(reply.via).toBeUndefined();
    expect(typed.join('')).toContain('echo gone-$((2*3))');
    await waitForScreen(deck, id, /gone-6/, 'the typed reply to run');
  });
});
