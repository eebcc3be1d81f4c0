/**
 * The mail message schema and the sanitiser. Pure: no I/O.
 *
 * A message is `{ id, workerId, workerName?, type, content, timestamp, inReplyTo? }`,
 * the worker-manager reference format plus `progress` and `error` types.
 */
import { z } from 'zod';
import { describeIssue } from './validate.js';
import { sanitize } from './sanitize.js';

// sanitize lives apart, without zod, for the TUI's views; mail's users still find it here.
export { sanitize };

export const MAIL_TYPES = ['question', 'completion', 'progress', 'error', 'needs-input'] as const;
/**
 * `question`, `completion`, `progress` and `error` come from the worker (mail
 * command, MCP tools). `needs-input` is a status signal from an agent hook
 * (e.g. Claude's Notification hook): its content is the reason, and an empty
 * content clears the signal. It is not shown in threads.
 */
export type MailType = (typeof MAIL_TYPES)[number];

/** Largest mail file the deck accepts, in bytes. */
export const MAX_MAIL_BYTES = 64 * 1024;

const timestampSchema = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().nonnegative(),
]);

/** zod schema for one mail file's JSON. Unknown extra fields are kept, not refused. */
export const mailSchema = z.looseObject({
  id: z.string().min(1).max(200),
  workerId: z.string().min(1).max(200),
  workerName: z.string().max(200).optional(),
  type: z.enum(MAIL_TYPES),
  content: z.string().max(MAX_MAIL_BYTES),
  timestamp: timestampSchema,
  inReplyTo: z.string().max(200).optional(),
});

export type MailFile = z.infer<typeof mailSchema>;

/** A validated message as the deck keeps it: timestamp as epoch ms, content sanitised. */
export interface MailMessage {
  id: string;
  workerId: string;
  workerName: string | null;
  type: MailType;
  content: string;
  /** epoch ms, from the message */
  timestamp: number;
  inReplyTo: string | null;
  /** Order in which the deck handled it; grows by one per message, across restarts. */
  seq: number;
}

/** An operator reply as recorded in a thread. */
export interface OperatorReply {
  id: string;
  workerId: string;
  kind: 'reply' | 'nudge';
  content: string;
  inReplyTo: string | null;
  timestamp: number;
  /** `tool-result`: returned to a waiting `ask` call instead of typed into the PTY (src/mail/ask-wait.ts). */
  via?: 'tool-result';
}

export type ParseResult =
  | { ok: true; message: Omit<MailMessage, 'seq'> }
  | { ok: false; reason: string };

/**
 * Parse and validate the text of one mail file.
 * @param text file contents (UTF-8)
 * @returns the message with a numeric timestamp and sanitised content, or a
 *   one-line reason naming the bad field, e.g. `field "type": invalid option`.
 */
export function parseMail(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  const result = mailSchema.safeParse(json);
  if (!result.success) {
    return { ok: false, reason: describeIssue(result.error, 'message') };
  }
  const m = result.data;
  const timestamp = typeof m.timestamp === 'number' ? m.timestamp : Date.parse(m.timestamp);
  return {
    ok: true,
    message: {
      id: m.id,
      workerId: m.workerId,
      workerName: m.workerName === undefined ? null : sanitize(m.workerName),
      type: m.type,
      content: sanitize(m.content),
      timestamp,
      inReplyTo: m.inReplyTo ?? null,
    },
  };
}

/** Build a message object as a worker writes it. `timestamp` is ISO-8601. */
export function buildMail(fields: {
  id: string;
  workerId: string;
  workerName?: string;
  type: MailType;
  content: string;
  now: number;
  inReplyTo?: string;
}): MailFile {
  const mail: MailFile = {
    id: fields.id,
    workerId: fields.workerId,
    type: fields.type,
    content: fields.content,
    timestamp: new Date(fields.now).toISOString(),
  };
  if (fields.workerName) mail.workerName = fields.workerName;
  if (fields.inReplyTo) mail.inReplyTo = fields.inReplyTo;
  return mail;
}
