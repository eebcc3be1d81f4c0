/**
 * `workerdeck hook <event>`: the entry point of agent hooks (Claude Code's
 * `--settings` hooks). It reads the hook's JSON from stdin and the worker's
 * identity from `WORKERDECK_WORKER_ID` / `WORKERDECK_STATE_DIR`.
 *
 * - `stop` (Stop): blocks the agent from ending its turn until it has called
 *   `ask` or `complete` since the operator last wrote to it, at most twice per turn.
 * - `notify` (Notification): a `needs-input` mail with the notification text.
 * - `prompt` (UserPromptSubmit): a new turn; clears `needs-input`.
 * - `start` (SessionStart): a new turn on startup/resume/clear; records the session id.
 * - `session` (Codex's SessionStart): records the session id only.
 * - `permission` (PermissionRequest) is a client of the server: src/client/permission-hook.ts.
 *
 * A hook must never break the agent: every failure exits 0 without output.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sendMail } from '../mail/writer.js';
import { stateLayout } from '../registry/state-dir.js';
import { recordSession, SESSION_ID_RE } from './session-file.js';
import { readHookInput } from './hook-input.js';

/** Blocks per turn before the Stop hook lets the agent stop anyway. */
export const MAX_STOP_BLOCKS = 2;

/** What the Stop hook tells the agent when it blocks. */
export const STOP_REASON =
  'You have not reported to the operator since their last message. If the task is done, call the workerdeck `complete` tool with a summary (or run `workerdeck mail complete "<summary>"`). If you are blocked or need a decision, call `ask` with one clear question (or run `workerdeck mail ask "<question>"`). Then end your turn.';

/** `<stateDir>/workers/<id>/turn.json`: when the operator last wrote, and how often Stop blocked since. */
export interface TurnState {
  /** epoch ms of the last operator prompt (0 when none was seen) */
  turnStart: number;
  blocks: number;
  /**
   * false once a prompt or a session start began the turn, true once its Stop
   * was allowed; absent when no turn was seen (no turn.json yet).
   */
  stopped?: boolean;
  /**
   * The start of the turn before, when the operator's prompt came before that
   * turn's Stop (a reply typed right after a question): the next Stop is that
   * turn's, and is judged from this start. null or absent when none is open.
   */
  pendingStart?: number | null;
}

export interface HookRun {
  event: string | undefined;
  /** The hook's stdin JSON, parsed (an object), or {} when there was none. */
  input: Record<string, unknown>;
  workerId: string | undefined;
  stateDir: string | undefined;
  workerName?: string | undefined;
  /** epoch ms */
  now: number;
}

/** What a hook run prints: stdout text (possibly empty); the exit code is always 0. */
export interface HookResult {
  stdout: string;
}

function turnFile(stateDir: string, workerId: string): string {
  return path.join(stateLayout(stateDir).workerFiles, workerId, 'turn.json');
}

/** Read turn.json; a missing or broken file is `{ turnStart: 0, blocks: 0 }`. */
export async function readTurn(stateDir: string, workerId: string): Promise<TurnState> {
  try {
    const json = JSON.parse(await readFile(turnFile(stateDir, workerId), 'utf8')) as Partial<TurnState>;
    const turn: TurnState = {
      turnStart: typeof json.turnStart === 'number' ? json.turnStart : 0,
      blocks: typeof json.blocks === 'number' ? json.blocks : 0,
    };
    if (typeof json.stopped === 'boolean') turn.stopped = json.stopped;
    if (typeof json.pendingStart === 'number') turn.pendingStart = json.pendingStart;
    return turn;
  } catch {
    return { turnStart: 0, blocks: 0 };
  }
}

async function writeTurn(stateDir: string, workerId: string, turn: TurnState): Promise<void> {
  const file = turnFile(stateDir, workerId);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(turn)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * The operator's reply came back as the result of a waited `ask` (src/mail/ask-wait.ts):
 * like a prompt, it starts what the agent must report on, so the next Stop is judged
 * from `now`. No prompt hook runs for it, and the turn goes on (no Stop is due before it).
 */
export async function replyAsToolResult(stateDir: string, workerId: string, now: number): Promise<void> {
  const before = await readTurn(stateDir, workerId);
  await writeTurn(stateDir, workerId, { ...before, turnStart: now, blocks: 0, stopped: false });
}

/** The epoch-ms timestamp in a mail file name: `<ts>-<uuid>.json` (new) or `<seq>_<ts>-<uuid>.json` (cur). */
function nameTimestamp(name: string): number | null {
  const match = /^(?:\d+_)?(\d+)-[^/]*\.json$/.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * Whether the worker sent a question or a completion at or after `since`
 * (epoch ms), in `mail/new` or `mail/cur`. Files are picked by the timestamp in
 * their name, then read to check the worker id, type and timestamp.
 */
export async function reportedSince(stateDir: string, workerId: string, since: number): Promise<boolean> {
  const layout = stateLayout(stateDir);
  for (const dir of [layout.mail.new, layout.mail.cur]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const ts = nameTimestamp(name);
      if (ts === null || ts < since) continue;
      try {
        const mail = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, unknown>;
        if (mail.workerId !== workerId || (mail.type !== 'question' && mail.type !== 'completion')) continue;
        const at = typeof mail.timestamp === 'number' ? mail.timestamp : Date.parse(String(mail.timestamp));
        if (Number.isFinite(at) && at >= since) return true;
      } catch {
        // The deck may have moved it from new/ to cur/ meanwhile; cur/ is read next.
      }
    }
  }
  return false;
}

/**
 * Run one hook event. Pure of process globals, so tests call it directly.
 * @returns what to print on stdout (`{"decision":"block",…}` when Stop blocks, else '')
 * @throws whatever the file system throws; `hookCommand` swallows it.
 */
export async function runHook(run: HookRun): Promise<HookResult> {
  const { workerId, stateDir } = run;
  if (!workerId || !stateDir) return { stdout: '' };
  const identity = { stateDir, workerId, ...(run.workerName ? { workerName: run.workerName } : {}) };
  switch (run.event) {
    case 'prompt': {
      // The turn before may not have had its Stop yet: keep its start for that Stop.
      const before = await readTurn(stateDir, workerId);
      const pending = before.stopped === false ? (before.pendingStart ?? before.turnStart) : null;
      await writeTurn(stateDir, workerId, { turnStart: run.now, blocks: 0, stopped: false, ...(pending === null ? {} : { pendingStart: pending }) });
      await sendMail({ ...identity, type: 'needs-input', content: '', now: run.now });
      return { stdout: '' };
    }
    case 'start':
    case 'session': {
      const source = typeof run.input.source === 'string' ? run.input.source : 'startup';
      // A compaction happens mid-turn; only a fresh, resumed or cleared session starts a turn.
      // A brand-new session may fire SessionStart after its first prompt already asked (the CLI
      // sends the positional prompt without waiting for its hooks): all of a new worker's mail
      // belongs to its first turn, so that turn starts at 0, never after a report it made.
      if (run.event === 'start' && source !== 'compact') {
        await writeTurn(stateDir, workerId, { turnStart: source === 'startup' ? 0 : run.now, blocks: 0, stopped: false });
      }
      const sessionId = run.input.session_id;
      if (typeof sessionId === 'string' && SESSION_ID_RE.test(sessionId)) {
        await recordSession(path.join(stateLayout(stateDir).workerFiles, workerId), { sessionId, source, at: run.now });
      }
      return { stdout: '' };
    }
    case 'stop': {
      // A Stop ends the oldest turn still open: the one before, when its Stop is still due.
      const turn = await readTurn(stateDir, workerId);
      const pending = turn.pendingStart ?? null;
      if (turn.blocks >= MAX_STOP_BLOCKS || (await reportedSince(stateDir, workerId, pending ?? turn.turnStart))) {
        const { pendingStart: _done, ...rest } = turn;
        await writeTurn(stateDir, workerId, pending !== null ? { ...rest, blocks: 0 } : { ...rest, stopped: true });
        return { stdout: '' };
      }
      await writeTurn(stateDir, workerId, { ...turn, blocks: turn.blocks + 1 });
      return { stdout: `${JSON.stringify({ decision: 'block', reason: STOP_REASON })}\n` };
    }
    case 'notify': {
      const type = typeof run.input.notification_type === 'string' ? run.input.notification_type : null;
      if (type === 'auth_success') return { stdout: '' };
      // "Claude is waiting for your input" after a report is not a new need.
      if (type === 'idle_prompt') {
        const turn = await readTurn(stateDir, workerId);
        if (await reportedSince(stateDir, workerId, turn.turnStart)) return { stdout: '' };
      }
      const message = typeof run.input.message === 'string' && run.input.message.trim() !== '' ? run.input.message.trim() : 'the agent is waiting for input';
      await sendMail({ ...identity, type: 'needs-input', content: message.slice(0, 2000), now: run.now });
      return { stdout: '' };
    }
    default:
      return { stdout: '' };
  }
}

/**
 * `workerdeck hook <event>`: read the hook JSON from stdin and run the event.
 * Identity comes from `WORKERDECK_WORKER_ID` and `--state-dir` or `WORKERDECK_STATE_DIR`.
 * @returns always 0: errors are swallowed so the agent is never broken by its hook.
 */
export async function hookCommand(event: string | undefined, stateDirFlag: string | undefined): Promise<number> {
  try {
    const input = await readHookInput();
    const stateDir = stateDirFlag ?? process.env.WORKERDECK_STATE_DIR;
    const result = await runHook({
      event,
      input,
      workerId: process.env.WORKERDECK_WORKER_ID,
      stateDir: stateDir ? path.resolve(stateDir) : undefined,
      workerName: process.env.WORKERDECK_WORKER_NAME,
      now: Date.now(),
    });
    if (result.stdout) process.stdout.write(result.stdout);
  } catch {
    // Never break the agent.
  }
  return 0;
}
