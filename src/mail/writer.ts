import { randomUUID } from 'node:crypto';
import { writeFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { buildMail, MAX_MAIL_BYTES, type MailType } from '../core/mail.js';
import { stateLayout } from '../registry/state-dir.js';

export interface SendMailOptions {
  stateDir: string;
  workerId: string;
  workerName?: string;
  type: MailType;
  content: string;
  inReplyTo?: string;
  now?: number;
  /** The message id to use (a UUID); a new one when absent. */
  id?: string;
}

/**
 * Deliver one message into a deck's Maildir, the worker side: write
 * `mail/tmp/<ts>-<uuid>.json`, then rename it into `mail/new/`, so the deck
 * never reads a half-written file.
 * @returns the message id (a UUID)
 * @throws Error when the content is too large or the mail dir is missing or unwritable.
 */
export async function sendMail(options: SendMailOptions): Promise<string> {
  const id = options.id ?? randomUUID();
  const now = options.now ?? Date.now();
  const mail = buildMail({ ...options, id, now });
  const text = `${JSON.stringify(mail)}\n`;
  if (Buffer.byteLength(text) > MAX_MAIL_BYTES) {
    throw new Error(`The message is ${Buffer.byteLength(text)} bytes; mail is limited to ${MAX_MAIL_BYTES} bytes. Shorten it.`);
  }
  const layout = stateLayout(options.stateDir);
  const name = `${now}-${id}.json`;
  const tmp = path.join(layout.mail.tmp, name);
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path.join(layout.mail.new, name));
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`No deck mail dir at ${layout.mail.root}. Is WORKERDECK_STATE_DIR right, and has a deck run there?`);
    }
    throw new Error(`Cannot deliver mail to ${layout.mail.root}: ${(error as Error).message}`);
  }
  return id;
}
