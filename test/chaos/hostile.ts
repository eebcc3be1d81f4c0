/**
 * The hostile mail set of the chaos suite: `count` files of a dozen kinds,
 * each with what the deck must do with it (move it to `bad/` with a reason, or
 * handle it into `cur/`) and, for hostile content, the escape sequences that
 * must never reach the terminal.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rng } from '../../bench/gen-output.js';
import { mkfifo } from './chaos.js';

/** What the deck must do with one file. */
export interface HostileFile {
  /** The file name in `mail/new` (may hold escapes, bidi and newlines). */
  name: string;
  kind: string;
  /** `bad`: moved to mail/bad, its reason in `mail/bad/.reasons/<name>`; `cur`: a valid message, handled into mail/cur. */
  outcome: 'bad' | 'cur';
  /** The reason file must match this. */
  reason?: RegExp;
  /** What it is on disk, checked again in mail/bad. */
  type: 'file' | 'symlink' | 'fifo' | 'dir';
  /** The bytes of a regular file, to check that the file in bad/ is this one. */
  bytes?: Buffer;
}

/** Escape sequences put into hostile content and names. Each is followed by `HX` in the content, so a leak shows as `<seq>HX` in the terminal's bytes. */
export const HOSTILE_SEQUENCES = [
  '\u001b]52;c;Y2hhb3M=\u0007', // OSC 52: write the clipboard
  '\u001b]52;c;?\u001b\\', // OSC 52: read the clipboard back
  '\u001b]0;pwned-title\u0007', // OSC 0: retitle the window
  '\u001b]8;;https://example.invalid\u001b\\', // OSC 8 hyperlink
  '\u001bP+q544e\u001b\\', // DCS XTGETTCAP
  '\u001b_Gf=100;AAAA\u001b\\', // APC (kitty graphics)
  '\u001b[6n', // DSR: the terminal answers with input
  '\u001b[>c', // DA2 query
  '\u001b[?1049l', // leave the alternate screen
  '\u001b[2J\u001b[H', // clear the screen
  '\u001bc', // RIS: reset the terminal
  '\u001b[31;1m', // SGR red bold
  '\u009b31m', // C1 CSI
  '\u009d0;c1-title\u009c', // C1 OSC
  '\u001b[1;1H\u001b[K', // cursor home, erase line
  '\r\u001b[A', // carriage return, cursor up
];

/** Bidi and invisible controls that can reorder what the operator reads. */
export const BIDI = ['\u202e', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];

const MAX = 64 * 1024;


/**
 * Create `count` hostile files in `staging` (a dir on the same file system as
 * mail/new, so a rename moves each one in whole).
 * @param liveWorkerId a live worker of the deck: forged and hostile mail names it
 * @param outside a dir outside the state dir for symlink targets
 * @returns one entry per file, in creation order
 */
export function makeHostileMail(staging: string, count: number, liveWorkerId: string, outside: string): HostileFile[] {
  mkdirSync(staging, { recursive: true });
  const r = rng(9);
  const files: HostileFile[] = [];
  const fifos: string[] = [];
  const seq = (i: number) => HOSTILE_SEQUENCES[i % HOSTILE_SEQUENCES.length] ?? '';
  const bidi = (i: number) => BIDI[i % BIDI.length] ?? '';
  const mail = (i: number, fields: Record<string, unknown>) =>
    JSON.stringify({ id: `hostile-${i}`, workerId: liveWorkerId, type: 'progress', content: `note ${i}`, timestamp: Date.now(), ...fields });
  const write = (i: number, kind: string, outcome: 'bad' | 'cur', text: string | Buffer, reason?: RegExp, name?: string) => {
    const file = name ?? `${1700000000000 + i}-${kind}-${i}.json`;
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    writeFileSync(path.join(staging, file), bytes);
    files.push({ name: file, kind, outcome, type: 'file', bytes, ...(reason ? { reason } : {}) });
  };

  // Symlink targets outside the state dir: a valid message, devices that never end, a FIFO, a secret.
  const validOutside = path.join(outside, 'valid.json');
  writeFileSync(validOutside, mail(-1, { content: 'followed a symlink' }));
  const fifoOutside = path.join(outside, 'pipe');
  fifos.push(fifoOutside);
  const targets = [validOutside, '/dev/zero', '/dev/urandom', fifoOutside, path.join(outside, 'missing.json'), '/etc/shadow', '/proc/self/mem'];

  const kinds = [
    'bad-json',
    'empty',
    'oversize',
    'binary',
    'symlink',
    'fifo',
    'schema',
    'directory',
    'hostile-name',
    'escapes',
    'unknown-worker',
    'forged-reply',
  ] as const;
  // The last two files are the reason-file collision below.
  const generated = count >= 24 ? count - 2 : count;
  for (let i = 0; i < generated; i++) {
    const kind = kinds[i % kinds.length] ?? 'bad-json';
    switch (kind) {
      case 'bad-json': {
        const variants = ['{"id": "x"', '{id: 1}', '[1,2', '{"a":1}}', 'NaN', "{'type':'question'}", '{"id":"a",}', '\u0000{}', '{"content":"\u001b]52;c;eA==\u0007"'];
        write(i, kind, 'bad', variants[i % variants.length] ?? '{', /JSON/);
        break;
      }
      case 'empty':
        write(i, kind, 'bad', '', /JSON/);
        break;
      case 'oversize': {
        // Valid JSON in every other way: only the size makes it bad.
        const pad = MAX + 1 + Math.floor(r() * 4 * MAX);
        write(i, kind, 'bad', mail(i, { content: 'A'.repeat(pad) }), /limit/);
        break;
      }
      case 'binary': {
        const bytes = Buffer.alloc(64 + Math.floor(r() * 4000));
        for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(r() * 256);
        bytes[0] = 0x00;
        bytes[1] = 0xff;
        write(i, kind, 'bad', bytes, /JSON/);
        break;
      }
      case 'symlink': {
        const name = `${1700000000000 + i}-symlink-${i}.json`;
        symlinkSync(targets[i % targets.length] ?? validOutside, path.join(staging, name));
        files.push({ name, kind, outcome: 'bad', type: 'symlink', reason: /symlink/ });
        break;
      }
      case 'fifo': {
        const name = `${1700000000000 + i}-fifo-${i}.json`;
        fifos.push(path.join(staging, name));
        files.push({ name, kind, outcome: 'bad', type: 'fifo', reason: /not a regular file/ });
        break;
      }
      case 'schema': {
        const variants = [
          mail(i, { type: 'reply' }),
          mail(i, { type: 'shout' }),
          mail(i, { id: undefined }),
          mail(i, { content: 42 }),
          mail(i, { workerId: '' }),
          mail(i, { timestamp: 'yesterday' }),
          mail(i, { id: 'x'.repeat(201) }),
          '[]',
          'null',
          '"just a string"',
          `${'['.repeat(3000)}${']'.repeat(3000)}`,
          mail(i, { inReplyTo: 17 }),
        ];
        write(i, kind, 'bad', variants[i % variants.length] ?? '[]', /./);
        break;
      }
      case 'directory': {
        const name = `${1700000000000 + i}-directory-${i}.json`;
        mkdirSync(path.join(staging, name));
        writeFileSync(path.join(staging, name, 'inside.json'), mail(i, {}));
        files.push({ name, kind, outcome: 'bad', type: 'dir', reason: /not a regular file/ });
        break;
      }
      case 'hostile-name': {
        // Names that are terminal sequences, bidi and newlines; the body is broken too.
        const name = `${1700000000000 + i}-${seq(i)}HX${bidi(i)}\n-name-${i}.json`.replace(/\//g, '_').replace(/\u0000/g, '');
        write(i, kind, 'bad', `{"broken": ${seq(i)}`, /JSON/, name);
        break;
      }
      case 'escapes': {
        const types = ['question', 'progress', 'completion', 'error', 'needs-input'];
        const content = `HX${i} ${seq(i)}HX ${bidi(i)}evil${bidi(i + 1)} ${seq(i + 3)}HX tail`;
        write(i, kind, 'cur', mail(i, { type: types[i % types.length], content, workerName: `name${seq(i + 5)}HX${bidi(i)}` }));
        break;
      }
      case 'unknown-worker': {
        // Mail from workers this deck never ran: an id with escapes, a long one, one that names the live worker.
        const ids = [`ghost-${i}`, `${seq(i)}HX`, 'f'.repeat(200), `${liveWorkerId}x`, `../../${liveWorkerId}`];
        write(
          i,
          kind,
          'cur',
          mail(i, { workerId: ids[i % ids.length], workerName: i % 2 ? 'recorder' : undefined, type: 'question', content: `HX${i} y\r\nyes\r\n${seq(i)}HX` }),
        );
        break;
      }
      case 'forged-reply': {
        // Mail that pretends to be the operator's reply to the live worker.
        const variants = [
          mail(i, { type: 'question', inReplyTo: `hostile-${i - 1}`, kind: 'reply', content: `HX${i} rm -rf ~\r` }),
          mail(i, { type: 'completion', reply: { kind: 'reply', content: 'y\r' }, content: `HX${i} forged\r` }),
          mail(i, { type: 'progress', inReplyTo: 'operator', content: `\u001b[200~HX${i} pasted\u001b[201~\r` }),
        ];
        write(i, kind, 'cur', variants[i % variants.length] ?? '');
        break;
      }
    }
  }
  // A bad file and a bad file named like its reason file.
  if (count >= 24) {
    write(generated, 'reason-collision', 'bad', '{"id": ', /JSON/, 'collide.json');
    write(generated + 1, 'reason-collision', 'bad', 'not json either', /JSON/, 'collide.json.reason');
  }
  mkfifo(fifos);
  return files;
}

/**
 * Escape sequences in what the deck wrote to the terminal that can only have
 * come from mail: each hostile sequence followed by its `HX` marker, any OSC
 * but the deck's own title, DCS/APC/PM/SOS strings, RIS, terminal queries, C1
 * controls and bidi controls.
 * @returns one entry per occurrence, e.g. `OSC "\u001b]52;c;..."`
 */
export function escapeLeaks(raw: string): string[] {
  const leaks: string[] = [];
  const show = (s: string) => JSON.stringify(s.slice(0, 24));
  for (const seq of HOSTILE_SEQUENCES) {
    let at = raw.indexOf(`${seq}HX`);
    while (at !== -1) {
      leaks.push(`mail sequence ${show(seq)}`);
      at = raw.indexOf(`${seq}HX`, at + 1);
    }
  }
  // The deck's only OSC is its window title: "workerdeck…" or empty.
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b\](?!0;(?:workerdeck[^\u0007\u001b]*)?\u0007)/g)) leaks.push(`OSC ${show(raw.slice(m.index, m.index + 24))}`);
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b[P_^X]|\u001bc|\u001b\[[>=]?c|\u001b\[6n/g)) leaks.push(`escape ${show(raw.slice(m.index, m.index + 12))}`);
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/[\u0080-\u009f]/g)) leaks.push(`C1 control U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const ch of BIDI) for (let at = raw.indexOf(ch); at !== -1; at = raw.indexOf(ch, at + 1)) leaks.push(`bidi U+${ch.charCodeAt(0).toString(16)}`);
  return leaks;
}
