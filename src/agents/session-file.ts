/**
 * `workers/<id>/session.json`: the session id a worker's agent is in, as its SessionStart
 * hook reported it (hook.ts) or the deck discovered it (session.ts). Kept apart from
 * session.ts so that `workerdeck hook` loads no more than it needs.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** `workers/<id>/session.json`: the session id the agent is in, and who said so. */
export interface RecordedSession {
  sessionId: string;
  /** The hook's `source` (`startup`, `resume`, `clear`, …) or `discovered`. */
  source: string;
  /** epoch ms */
  at: number;
}

/** The `source` of an id the deck found itself rather than one a hook reported. */
export const DISCOVERED = 'discovered';

/** A session id as agents make them: UUIDs, `ses_…`; nothing a shell or a flag parser could misread (no leading `-`). */
export const SESSION_ID_RE = /^[A-Za-z0-9][\w-]{7,99}$/;

/** `<workerDir>/session.json`. */
export function sessionFile(workerDir: string): string {
  return path.join(workerDir, 'session.json');
}

/**
 * Write `session.json` atomically (0600), creating the worker's dir.
 * @throws whatever the file system throws
 */
export async function recordSession(workerDir: string, session: RecordedSession): Promise<void> {
  await mkdir(workerDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(sessionFile(workerDir), `${JSON.stringify(session)}\n`, { mode: 0o600 });
}

/** Read `session.json`; null when it is missing, broken, or holds an id that fails SESSION_ID_RE. */
export function readRecordedSession(workerDir: string): RecordedSession | null {
  try {
    const json = JSON.parse(readFileSync(sessionFile(workerDir), 'utf8')) as Partial<RecordedSession>;
    if (typeof json.sessionId !== 'string' || !SESSION_ID_RE.test(json.sessionId)) return null;
    return {
      sessionId: json.sessionId,
      source: typeof json.source === 'string' ? json.source : 'unknown',
      at: typeof json.at === 'number' ? json.at : 0,
    };
  } catch {
    return null;
  }
}
