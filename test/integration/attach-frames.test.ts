import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAttach } from '../../src/client/remote-deck.js';
import { frame, LineSplitter, PROTOCOL_VERSION } from '../../src/core/protocol.js';
import { fakeSpawner } from '../../src/pty/fake-pty.js';
import { makeDeck, request, serveInProcess, testPresets } from '../helpers/deck.js';
import { tempDir } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/term.js';

/** Raw worker output that a frame parser would choke on: newlines, an empty line, a lone `{`. */
const PAINT = '\u001b[H\u001b[2Jfirst line\r\n\n{ not json\r\n\u001b[?1049h\n\nlast';

describe('LineSplitter.each: frames, then raw bytes in the same read', () => {
  it('stops after the frame that says so and keeps the exact rest, empty lines and all', () => {
    const s = new LineSplitter();
    const seen: string[] = [];
    s.each(`${frame({ t: 'a' })}\n${frame({ t: 'attached' })}${PAINT}`, (line) => {
      seen.push(line);
      return !line.includes('attached');
    });
    expect(seen).toEqual(['{"t":"a"}', '{"t":"attached"}']);
    expect(s.take()).toBe(PAINT);
  });

  it('holds an unfinished frame for the next read, and refuses one past its limit', () => {
    const s = new LineSplitter(10);
    const seen: string[] = [];
    s.each('{"t":', (l) => seen.push(l) > 0);
    s.each('"x"}\n', (l) => seen.push(l) > 0);
    expect(seen).toEqual(['{"t":"x"}']);
    expect(() => s.each('x'.repeat(11), () => true)).toThrow(/longer than 10 bytes/);
  });
});

describe('openAttach over a real socket', () => {
  const dirs: string[] = [];
  const servers: net.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A server that answers hello, then `attached` followed by `paint` in one write (as a busy server does). */
  async function server(paint: string): Promise<{ socketPath: string; input: () => string }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'wd-frames-'));
    dirs.push(dir);
    const socketPath = path.join(dir, 's.sock');
    let input = '';
    const srv = net.createServer((socket) => {
      socket.setEncoding('utf8');
      let stage = 0;
      const splitter = new LineSplitter();
      socket.on('data', (chunk: string) => {
        if (stage === 2) {
          input += chunk;
          return;
        }
        splitter.each(chunk, (line) => {
          const f = JSON.parse(line) as { t: string };
          if (f.t === 'hello') {
            stage = 1;
            socket.write(frame({ t: 'welcome', protocol: PROTOCOL_VERSION, version: 't', pid: process.pid, presets: [], label: 't' }));
          } else if (f.t === 'attach') {
            stage = 2;
            socket.write(frame({ t: 'attached', id: 'w1' }) + paint);
          }
          return stage < 2;
        });
        if (stage === 2) input += splitter.take();
      });
      socket.on('error', () => undefined);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(socketPath, r));
    return { socketPath, input: () => input };
  }

  it('hands the client every byte that came in the same read as the attached frame, and keeps the channel open', async () => {
    const { socketPath, input } = await server(PAINT);
    const channel = await openAttach(socketPath, 't', 'w1', 80, 24);
    let got = '';
    let ended = false;
    channel.onData((d) => (got += d));
    channel.onEnd(() => (ended = true));
    await waitFor(() => got === PAINT, 'the first paint, whole', 5_000, () => JSON.stringify(got));
    channel.write('typed\n\nkeys');
    await waitFor(() => input() === 'typed\n\nkeys', 'raw input at the server', 5_000, () => JSON.stringify(input()));
    expect(ended).toBe(false);
    channel.close();
    await waitFor(() => ended, 'the channel to end on close', 5_000);
  });
});

describe('the server reads an attach connection', () => {
  it('takes input that came in the same read as the attach frame as raw bytes, newlines and all', async () => {
    const cwd = tempDir('wd-frames-cwd-');
    const state = tempDir('wd-frames-state-');
    const spawner = fakeSpawner();
    const { deck } = await makeDeck({ stateDir: state.dir, cwd: cwd.dir, spawner, presets: testPresets() });
    const socketPath = path.join(state.dir, 'server.sock');
    const { server, client } = await serveInProcess(deck, socketPath);
    const socket = net.connect(socketPath);
    try {
      const worker = await deck.spawn(request({ agent: 'shell' }));
      const pty = spawner.spawned[0]!;
      socket.setEncoding('utf8');
      let received = '';
      socket.on('data', (d: string) => (received += d));
      socket.write(frame({ t: 'hello', protocol: PROTOCOL_VERSION, version: 'test', role: 'attach' }));
      await waitFor(() => received.includes('welcome'), 'welcome', 5_000);
      const typed = 'echo one\n\necho {two}\n';
      socket.write(frame({ t: 'attach', id: worker.id, cols: 80, rows: 24 }) + typed);
      await waitFor(() => pty.writes.join('') === typed, 'the typed bytes at the PTY', 5_000, () => JSON.stringify(pty.writes));
      await waitFor(() => received.includes('"attached"'), 'the attached frame', 5_000, () => received);
      expect(received).not.toContain('"error"');
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
      client.close();
      server.close();
      for (const pty of spawner.spawned) pty.emitExit({ exitCode: 0, signal: null });
      await deck.shutdown(50);
      cwd.cleanup();
      state.cleanup();
    }
  });
});
