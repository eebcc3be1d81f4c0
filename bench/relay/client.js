// The client half of the relay floor (see server.js): raw mode, keys to the socket,
// bytes from the socket to the terminal with synchronous writes, as the deck's client
// does while attached. Usage: node client.js SOCKET; prints READY once connected.
import net from 'node:net';
import { writeSync } from 'node:fs';

const socket = net.connect(process.argv[2] ?? '', () => writeSync(1, 'READY\r\n'));
process.stdin.setRawMode(true);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data) => socket.write(data));
socket.on('data', (data) => writeSync(1, data));
socket.on('close', () => process.exit(0));
