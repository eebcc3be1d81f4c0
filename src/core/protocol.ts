/**
 * The client–server protocol of `workerdeck serve`. Pure: types, zod schemas
 * and the line framing; no I/O. Documented for humans in docs/protocol.md.
 *
 * Transport: a Unix socket, `<state>/server.sock` (0600 in the 0700 state dir).
 * A connection starts with newline-delimited JSON frames, one object per line
 * (UTF-8, at most MAX_FRAME_BYTES). The client speaks first with `hello`; the
 * server answers `welcome` or `error` (and closes on a protocol mismatch).
 * Then:
 * - control connections send `cmd` frames and get one `result` per `cmd`;
 *   `subscribe` starts `state` + `event` frames; `watch` starts `screen` frames
 *   for one worker at a bounded rate;
 * - an attach connection sends one `attach` frame; after the server's
 *   `attached` frame the socket carries raw PTY bytes both ways, no JSON.
 * A malformed frame closes that connection, never the server.
 */
import { z } from 'zod';
import type { DeckEvent, DeckState } from './deck-state.js';
import type { MailMessage, OperatorReply } from './mail.js';
import type { WorkerRecord } from './worker.js';
import {
  MERGE_STRATEGIES,
  type CleanupPreview,
  type CleanupResult,
  type MergePreview,
  type MergeResult,
  type PruneItem,
  type PushResult,
  type RestoreResult,
  type Validation,
  type WorkerDiff,
} from './review.js';
import { describeIssue } from './validate.js';
import { PERMISSION_ANSWERS, type PermissionDecision } from './permission.js';

// The framing lives apart, without zod, so a client loads no schema to connect.
export { frame, LineSplitter, MAX_FRAME_BYTES, PROTOCOL_VERSION } from './wire.js';

const id = z.string().min(1).max(100);
const cells = z.number().int().min(2).max(2000);

export const spawnRequestSchema = z.object({
  task: z.string().max(100_000),
  name: z.string().max(100),
  agent: z.string().min(1).max(100),
  worktree: z.boolean(),
  base: z.string().max(500),
  skipPermissions: z.boolean(),
  /** Watchdog limits in s (0 = off); absent: the preset's or the config's. */
  timeout: z.number().int().min(0).max(30 * 24 * 3600).optional(),
  idleTimeout: z.number().int().min(0).max(30 * 24 * 3600).optional(),
});

/** Every command a client can give the deck: the one `DeckCommand` union. */
export const deckCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('spawn'), request: spawnRequestSchema }),
  z.object({ type: z.literal('resume'), id }),
  z.object({ type: z.literal('stop'), id }),
  z.object({ type: z.literal('remove'), id }),
  /** Move a queued worker `by` places in the spawn queue (negative: towards the front). */
  z.object({ type: z.literal('queue-move'), id, by: z.number().int().min(-1000).max(1000) }),
  z.object({
    type: z.literal('send'),
    id,
    text: z.string().min(1).max(1_000_000),
    kind: z.enum(['reply', 'nudge']),
    inReplyTo: z.string().max(200).nullable(),
  }),
  z.object({ type: z.literal('mark-seen'), workerId: id, seq: z.number().int().nonnegative() }),
  /** Archive the mail of a worker this deck does not know, up to `seq` (the files stay in mail/cur). */
  z.object({ type: z.literal('dismiss-mail'), workerId: z.string().min(1).max(200), seq: z.number().int().nonnegative() }),
  /** Older mail of one sender than the deck holds, for paging a thread back (read from mail/cur). */
  z.object({
    type: z.literal('older-mail'),
    workerId: z.string().min(1).max(200),
    before: z.number().int().positive(),
    limit: z.number().int().positive().max(500),
  }),
  /** The preview size of the client: every detached PTY takes it (latest client wins). */
  z.object({ type: z.literal('set-size'), cols: cells, rows: cells }),
  z.object({ type: z.literal('resize-worker'), id, cols: cells, rows: cells }),
  z.object({ type: z.literal('state') }),
  /** Add a warning for every client (a client's own config problems). */
  z.object({ type: z.literal('warn'), text: z.string().min(1).max(4000) }),
  /** A worker's screen: styled rows, or plain text rows. */
  z.object({ type: z.literal('screen'), id, plain: z.boolean() }),
  z.object({ type: z.literal('transcript'), id, maxBytes: z.number().int().positive().max(64 * 1024 * 1024) }),
  /** Stop every worker and end the server. */
  z.object({ type: z.literal('kill-server') }),
  /** The worker's changes against the merge base with its base branch (src/git/review.ts). */
  z.object({ type: z.literal('diff'), id }),
  /** What merging the worker's branch would do; `strategy` defaults to the config's. */
  z.object({ type: z.literal('merge-preview'), id, strategy: z.enum(MERGE_STRATEGIES).optional() }),
  z.object({ type: z.literal('merge'), id, strategy: z.enum(MERGE_STRATEGIES).optional(), commitUncommitted: z.boolean() }),
  /** What removing the worker's worktree and branch would lose (null: it has none). */
  z.object({ type: z.literal('cleanup-preview'), id }),
  /** Remove a worker that is not running, with its worktree and branch (kept in the trash first). */
  z.object({ type: z.literal('cleanup'), id, confirmLoss: z.boolean() }),
  /** Bring a removed worker's branch and worktree back from the trash. */
  z.object({ type: z.literal('restore'), key: z.string().min(1).max(300) }),
  /** Push the worker's branch to its remote and open a pull request with gh when installed. */
  z.object({ type: z.literal('push'), id }),
  /** Run the config's validate command for the worker now (the result comes as events). */
  z.object({ type: z.literal('validate'), id }),
  /** Remove safe orphans (worktrees, worker/* branches, registry entries, old trash). */
  z.object({ type: z.literal('prune') }),
  /**
   * An agent's permission hook asks the operator (`workerdeck hook permission`):
   * resolves with the decision, or null when none came within the config's
   * `permissionTimeout` (the agent then shows its own dialog).
   */
  z.object({
    type: z.literal('permission-ask'),
    workerId: id,
    tool: z.string().max(1000),
    detail: z.string().max(100_000),
    allowAlways: z.boolean(),
  }),
  /**
   * The operator's answer to the permission ask `askId` of worker `id` (hook or
   * screen); `tool` and `detail` are what the operator saw, so an answer still
   * holds when the same ask came again under a new id (the screen saw the
   * dialog before the hook asked).
   */
  z.object({
    type: z.literal('permission-answer'),
    id,
    askId: id,
    tool: z.string().max(1000),
    detail: z.string().max(100_000),
    answer: z.enum(PERMISSION_ANSWERS),
    reason: z.string().max(4000).nullable(),
  }),
]);

export type DeckCommand = z.infer<typeof deckCommandSchema>;
export type SpawnRequestFrame = z.infer<typeof spawnRequestSchema>;

/** What each command resolves to. */
export interface CommandResults {
  spawn: WorkerRecord;
  resume: WorkerRecord;
  stop: WorkerRecord | null;
  remove: null;
  /** Its new place in the queue, 1 for the next to start. */
  'queue-move': number | null;
  send: OperatorReply;
  'mark-seen': null;
  'dismiss-mail': null;
  /** Up to `limit` messages below `before`, oldest first; `before` to continue from, null at the start of mail/cur. */
  'older-mail': { messages: MailMessage[]; before: number | null };
  'set-size': null;
  'resize-worker': null;
  state: DeckState;
  warn: null;
  screen: string[];
  transcript: string;
  'kill-server': null;
  diff: WorkerDiff;
  'merge-preview': MergePreview;
  merge: MergeResult;
  'cleanup-preview': CleanupPreview | null;
  cleanup: CleanupResult | null;
  restore: RestoreResult;
  prune: PruneItem[];
  validate: Validation;
  push: PushResult;
  'permission-ask': PermissionDecision | null;
  /** What happened, in words for the footer, e.g. `Allowed once: Bash touch a.txt`. */
  'permission-answer': string;
}

export type ResultOf<C extends DeckCommand> = CommandResults[C['type']];

/** What a client is told about each preset (the spawn form needs it). */
export interface PresetInfo {
  name: string;
  description: string;
  supportsSkipPermissions: boolean;
  canResume: boolean;
  /** Why it cannot start here (`not installed: …`), or null. */
  problem: string | null;
}

/** One screen of the watched worker, pushed at most every SCREEN_PUSH_MS. */
export interface ScreenSnapshot {
  id: string;
  scroll: number;
  /** Rows with SGR colours, each exactly `cols` cells wide. */
  rows: string[];
  /** Lines of scrollback above the screen. */
  scrollback: number;
}

/** Screen pushes per watched worker are at least this far apart, in ms. */
export const SCREEN_PUSH_MS = 50;

export const clientFrameSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    protocol: z.number().int(),
    version: z.string().max(100),
    role: z.enum(['control', 'attach']),
  }),
  z.object({ t: z.literal('cmd'), n: z.number().int().nonnegative(), cmd: z.unknown() }),
  z.object({ t: z.literal('subscribe') }),
  z.object({ t: z.literal('watch'), id: id.nullable(), scroll: z.number().int().nonnegative().max(1_000_000) }),
  /** `readonly`: only the worker's output from now on (logs --follow): no paint, no resize, input ignored. */
  z.object({ t: z.literal('attach'), id, cols: cells, rows: cells, readonly: z.boolean().optional() }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;

export type ServerFrame =
  | { t: 'welcome'; protocol: number; version: string; pid: number; presets: PresetInfo[]; label: string }
  | { t: 'error'; message: string }
  | { t: 'result'; n: number; ok: true; value: unknown }
  | { t: 'result'; n: number; ok: false; error: string }
  | { t: 'state'; state: DeckState }
  | { t: 'event'; event: DeckEvent; nextSeq: number }
  | ({ t: 'screen' } & ScreenSnapshot)
  | { t: 'attached'; id: string };

/** Parse one client frame. @returns the frame, or a reason naming the field. */
export function parseClientFrame(line: string): { ok: true; frame: ClientFrame } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  const parsed = clientFrameSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  return { ok: true, frame: parsed.data };
}

/** Validate a command. @returns it, or the reason it is refused. */
export function parseCommand(value: unknown): { ok: true; command: DeckCommand } | { ok: false; reason: string } {
  const parsed = deckCommandSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  return { ok: true, command: parsed.data };
}
