import { appendFile, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseMail } from '../core/mail.js';
import type { Registry } from '../registry/registry.js';
import type { StateLayout } from '../registry/state-dir.js';

/** How much of the end of events.jsonl is read first to find the last audited message, in bytes. */
const TAIL_BYTES = 1024 * 1024;

/** The highest `message.seq` among `mail-received` lines of the given text, or 0. */
function highestAuditedSeq(text: string): number {
  let highest = 0;
  for (const line of text.split('\n')) {
    if (!line.includes('"mail-received"')) continue;
    try {
      const event = JSON.parse(line) as { type?: string; message?: { seq?: unknown } };
      if (event.type === 'mail-received' && typeof event.message?.seq === 'number') highest = Math.max(highest, event.message.seq);
    } catch {
      // A torn line of a killed writer, or the cut at the start of the tail: not an audit line.
    }
  }
  return highest;
}

/** The last `maxBytes` of a file as text ('' when it does not exist). */
async function tail(file: string, maxBytes: number): Promise<{ text: string; whole: boolean }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', whole: true };
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return { text: buffer.toString('utf8'), whole: length === size };
  } finally {
    await handle.close();
  }
}

/**
 * Give every handled message its audit line. A message is moved into
 * `mail/cur/<seq>_<name>` before its `mail-received` line is appended to
 * events.jsonl, and lines are appended in seq order, so a server killed in
 * between (kill -9, OOM) leaves exactly the files of `cur/` whose seq is above
 * the last audited one without a line. Their lines are appended now, marked
 * `"recovered": true`, before any new mail is handled. Reads the end of
 * events.jsonl only (the whole file when its end holds no audit line). A torn
 * last line (a writer killed mid-line) is ended with a newline first.
 * Never throws: when events.jsonl cannot be read, nothing is recovered.
 * @returns how many lines were recovered
 */
export async function recoverAuditLines(layout: StateLayout, registry: Registry): Promise<number> {
  try {
    return await recover(layout, registry);
  } catch {
    // events.jsonl cannot be read (a broken disk, not a file): the Registry warns when it cannot append either.
    return 0;
  }
}

async function recover(layout: StateLayout, registry: Registry): Promise<number> {
  let { text, whole } = await tail(layout.eventsFile, TAIL_BYTES);
  // A writer killed mid-line left a torn last line: end it, so the next line starts on a line of its own.
  if (text !== '' && !text.endsWith('\n')) await appendFile(layout.eventsFile, '\n').catch(() => undefined);
  let audited = highestAuditedSeq(text);
  if (audited === 0 && !whole) {
    text = await readFile(layout.eventsFile, 'utf8').catch(() => '');
    audited = highestAuditedSeq(text);
  }
  let names: string[];
  try {
    names = (await readdir(layout.mail.cur)).filter((n) => /^\d+_/.test(n));
  } catch {
    return 0;
  }
  const missing = names
    .map((name) => ({ name, seq: Number(name.slice(0, name.indexOf('_'))) }))
    .filter((m) => m.seq > audited)
    .sort((a, b) => a.seq - b.seq);
  let recovered = 0;
  for (const { name, seq } of missing) {
    const file = path.join(layout.mail.cur, name);
    let parsed;
    try {
      if (!(await stat(file)).isFile()) continue;
      parsed = parseMail(await readFile(file, 'utf8'));
    } catch {
      continue;
    }
    if (!parsed.ok) continue;
    registry.appendEvent('mail-received', { message: { ...parsed.message, seq }, recovered: true });
    recovered++;
  }
  return recovered;
}
