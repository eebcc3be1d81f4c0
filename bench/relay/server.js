// The floor of a Node client/server pair, for echo_node_relay_p50_ms: a server that
// gives one connection a PTY running `cat` and relays bytes both ways, nothing else
// (no mirror, transcript, state or frames). Usage: node server.js SOCKET; prints
// `ready` once listening; exits when the connection closes.
import net from 'node:net';
import { writeSync } from 'node:fs';
import { spawn } from 'node-pty';

const server = net.createServer((socket) => {
  const pty = spawn('cat', [], { cols: 120, rows: 40, encoding: 'utf8' });
  const fd = /** @type {{ fd: number }} */ (/** @type {unknown} */ (pty)).fd;
  pty.onData((data) => socket.write(data));
  // As the deck writes keys: straight to the nonblocking master fd.
  socket.on('data', (data) => writeSync(fd, data));
  socket.on('close', () => {
    pty.kill('SIGKILL');
    server.close();
  });
});
server.listen(process.argv[2] ?? '', () => process.stdout.write('ready\n'));
