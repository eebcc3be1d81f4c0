import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { COMMON_PROMPT_RULES, type PermissionAsk, type ScreenRule } from '../core/prompt-detect.js';
import type { PresetFactory } from './index.js';
import { askToolTimeoutMs, type Discovery, type DiscoveryContext, type Launch, type LaunchContext } from './preset.js';
import { shellQuote, workerIdentityEnv } from './common.js';
import { chooseSession, type SessionCandidate } from './session.js';
import { RESET_TIME, type LimitRule } from '../core/limit-detect.js';

/** The Codex CLI version the flags below were checked against (`--help`). */
export const CODEX_CHECKED_VERSION = '0.169.0';

/**
 * A TOML basic string (`"…"`) holding `text` exactly: `\` and `"` are escaped,
 * `\b \t \n \f \r` use their short escapes, other control characters (U+0000–U+001F,
 * U+007F) become `\uXXXX`. Everything else, non-ASCII included, stays as is.
 */
export function tomlString(text: string): string {
  const short: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`)}"`;
}

/** A TOML inline table `{k=v,…}` from already-encoded values; keys are quoted. */
function inlineTable(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k)}=${v}`).join(',')}}`;
}

/**
 * The `-c key=value` overrides for one worker: the workerdeck MCP server (its
 * tools approved, and the worker identity in its env, because Codex starts MCP
 * servers with a filtered env), the worker instructions as `developer_instructions`,
 * and the worktree trusted so the "Trust this folder?" dialog does not block startup.
 */
export function codexConfigArgs(ctx: LaunchContext): string[] {
  const env = inlineTable(Object.entries(workerIdentityEnv(ctx)).map(([k, v]) => [k, tomlString(v)]));
  const timeout = askToolTimeoutMs(ctx);
  const server = inlineTable([
    ['command', tomlString(ctx.launcher)],
    ['args', '["mcp"]'],
    ['env', env],
    ['default_tools_approval_mode', '"approve"'],
    // Wait mode: a waiting `ask` must not outlive Codex's tool call timeout.
    ...(timeout === null ? [] : ([['tool_timeout_sec', String(timeout / 1000)]] as [string, string][])),
  ]);
  const trusted = inlineTable([[ctx.worktree ?? ctx.cwd, inlineTable([['trust_level', '"trusted"']])]]);
  return [
    '-c', `mcp_servers.workerdeck=${server}`,
    '-c', `developer_instructions=${tomlString(ctx.instructions)}`,
    // The dotted form projects."<dir>".trust_level does not skip the dialog; the inline table does.
    '-c', `projects=${trusted}`,
  ];
}

/** A Codex session (thread) id: a UUID. */
export const CODEX_SESSION_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Seconds Codex gives the SessionStart hook; part of the hook's trust hash. */
const HOOK_TIMEOUT_S = 30;

/**
 * The key under which Codex keeps the trust of the first SessionStart hook given with
 * `-c` (its "session flags" config layer), on Linux and macOS.
 */
export const CODEX_SESSION_HOOK_KEY = '/<session-flags>/config.toml:session_start:0:0';

/**
 * The hash Codex trusts a SessionStart hook by: `sha256:` and the hex SHA-256 of the
 * hook's compact JSON with sorted keys, `{"event_name","hooks":[{"async","command","timeout","type"}]}`
 * (no matcher). Checked against codex 0.169.0: it is the `trusted_hash` Codex writes to
 * `hooks.state` when the operator trusts the hook by hand.
 */
export function codexHookTrustHash(command: string, timeoutSeconds = HOOK_TIMEOUT_S): string {
  const identity = JSON.stringify({ event_name: 'session_start', hooks: [{ async: false, command, timeout: timeoutSeconds, type: 'command' }] });
  return `sha256:${createHash('sha256').update(identity).digest('hex')}`;
}

/**
 * The `-c` overrides that make Codex run `<launcher> hook session` at SessionStart (on the
 * first prompt, on resume and on a new session), which records its `session_id` in
 * `workers/<id>/session.json`. The hook is trusted by its hash in `hooks.state`, so no
 * "Hooks need review" dialog stops the worker, without `--dangerously-bypass-hook-trust`,
 * which would also run a repo's own untrusted hooks unreviewed.
 */
export function codexSessionHookArgs(ctx: Pick<LaunchContext, 'launcher'>): string[] {
  const command = `${shellQuote(ctx.launcher)} hook session`;
  const hook = inlineTable([['type', '"command"'], ['command', tomlString(command)], ['timeout', String(HOOK_TIMEOUT_S)]]);
  return [
    '-c', `hooks.SessionStart=[{hooks=[${hook}]}]`,
    '-c', `hooks.state=${inlineTable([[CODEX_SESSION_HOOK_KEY, inlineTable([['trusted_hash', tomlString(codexHookTrustHash(command))]])]])}`,
  ];
}

/** `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(env: NodeJS.ProcessEnv): string {
  return env.CODEX_HOME || path.join(env.HOME || os.homedir(), '.codex');
}

/** Most bytes read for the first line of a rollout file (its `session_meta`, ~25 KB). */
const META_MAX_BYTES = 1024 * 1024;

/**
 * The session a rollout file records, from its first line:
 * `{"type":"session_meta","payload":{"id","cwd","timestamp","source":"cli",…}}`.
 * `updated` is the file's mtime. Null for anything else: another kind of first line, a
 * non-interactive (`exec`) or sub-agent session, an unreadable file.
 */
export async function readRolloutSession(file: string): Promise<SessionCandidate | null> {
  let handle;
  try {
    handle = await open(file, 'r');
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const newline = chunk.indexOf(10);
      chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
      size += bytesRead;
      if (newline !== -1 || size >= META_MAX_BYTES) break;
    }
    const line = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type?: unknown; payload?: Record<string, unknown> };
    const meta = line.payload;
    if (line.type !== 'session_meta' || !meta) return null;
    if (meta.source !== 'cli' || (meta.thread_source !== undefined && meta.thread_source !== 'user')) return null;
    const created = typeof meta.timestamp === 'string' ? Date.parse(meta.timestamp) : NaN;
    if (typeof meta.id !== 'string' || !CODEX_SESSION_RE.test(meta.id) || typeof meta.cwd !== 'string' || !Number.isFinite(created)) return null;
    return { id: meta.id, directory: meta.cwd, created, updated: (await handle.stat()).mtimeMs };
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** Most days of rollout dirs scanned back from now. */
const MAX_SCAN_DAYS = 400;

/**
 * Rollout files written since `since` (epoch ms): `<home>/sessions/YYYY/MM/DD/rollout-*.jsonl`
 * for every day from the day before `since` to the day after `now`, in UTC and local
 * time (Codex names the dir by local date), whose mtime is at or after `since`.
 */
export async function listCodexRollouts(home: string, since: number, now: number): Promise<string[]> {
  const day = 86_400_000;
  const pad = (n: number) => String(n).padStart(2, '0');
  const dirs = new Set<string>();
  for (let t = Math.max(since - day, now - MAX_SCAN_DAYS * day); t <= now + day; t += day / 2) {
    const d = new Date(t);
    dirs.add(path.join(home, 'sessions', String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())));
    dirs.add(path.join(home, 'sessions', String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate())));
  }
  const files: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('rollout-') || !name.endsWith('.jsonl')) continue;
      const file = path.join(dir, name);
      try {
        if ((await stat(file)).mtimeMs >= since) files.push(file);
      } catch {
        // Archived or removed meanwhile.
      }
    }
  }
  return files;
}

/**
 * Find the worker's Codex session in the rollout files (`chooseSession` by cwd and time).
 * The SessionStart hook records the id exactly; this finds it when the hook did not run
 * (a worker spawned before the hook existed, or a hook that failed).
 */
export async function discoverCodexSession(ctx: DiscoveryContext, env: Record<string, string>, now = Date.now()): Promise<Discovery> {
  const home = codexHome({ ...ctx.env, ...env });
  const sessions: SessionCandidate[] = [];
  for (const file of await listCodexRollouts(home, ctx.since, now)) {
    const session = await readRolloutSession(file);
    if (session) sessions.push(session);
  }
  return chooseSession(sessions, ctx, 'Codex');
}

/**
 * The options of Codex's command approval (`Would you like to run the following command?`),
 * as codex 0.169.0 draws them under the command, `›` before the selected one:
 * `1. Yes, proceed (y)`, `2. Yes, and don't ask again for commands that start with `<prefix>` (p)`
 * (wrapped when long), `3. No, and tell Codex what to do differently (esc)`. Matched on the
 * options rather than the heading, which a long command pushes out of the rows the rules see;
 * any space may be a wrap, since the worker's PTY is as narrow as the deck's preview.
 */
const CODEX_COMMAND_OPTIONS = new RegExp(
  [
    String.raw`^\s*(?:›\s*)?1\.\s+` + spaced('Yes, proceed (y)'),
    String.raw`\s*(?:›\s*)?2\.\s+` + spaced("Yes, and don't ask again for commands that start with") + String.raw`\s+\`[\s\S]*?\`\s*\(p\)`,
    String.raw`\s*(?:›\s*)?3\.\s+` + spaced('No, and tell Codex what to do differently (esc)'),
  ].join(String.raw`\s*\n`),
  'm',
);

/** A pattern source for `words` exactly, each space standing for any run of white space (a wrap). */
function spaced(words: string): string {
  return words
    .split(' ')
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(String.raw`\s+`);
}

/**
 * The command Codex's approval dialog shows: its `$ <command>` row and the rows it wraps
 * onto, up to the blank row before the options, joined with one space (Codex wraps at
 * spaces, so a wrap is a space; a command's own newlines become spaces too). Null when
 * the `$` row is not in `text`.
 * @param text screen rows joined with `\n`, as a ScreenRule sees them
 */
export function codexApprovalCommand(text: string): PermissionAsk | null {
  const rows = text.split('\n');
  const options = rows.findIndex((row) => /^\s*(?:›\s*)?1\.\s+Yes,\s+proceed/.test(row));
  const end = options === -1 ? rows.length : options;
  let start = -1;
  for (let i = end - 1; i >= 0; i--) {
    if (/^\s*\$ /.test(rows[i] ?? '')) {
      start = i;
      break;
    }
    if (/Would you like to run the following command\?/.test(rows[i] ?? '')) break;
  }
  if (start === -1) return null;
  const parts = [(rows[start] ?? '').replace(/^\s*\$ /, '').trim()];
  for (let i = start + 1; i < end && (rows[i] ?? '').trim() !== ''; i++) parts.push((rows[i] ?? '').trim());
  const detail = parts.join(' ').trim();
  return detail === '' ? null : { tool: 'command', detail };
}

/** Screen patterns of Codex's own dialogs; COMMON_PROMPT_RULES follow. */
export const CODEX_PROMPT_RULES: ScreenRule[] = [
  // Verified live against codex 0.169.0 (test/e2e/codex.test.ts): `y` runs the command once;
  // `p` runs it and adds `prefix_rule(pattern=[…], decision="allow")` to $CODEX_HOME/rules/default.rules,
  // so it holds beyond the session; Esc declines and ends the turn (the model gets
  // "aborted by user" with the next prompt).
  {
    pattern: CODEX_COMMAND_OPTIONS,
    reason: 'permission prompt',
    answers: { allowOnce: 'y', allowAlways: 'p', deny: '\u001b' },
    describe: codexApprovalCommand,
  },
  { pattern: /Would you like to (run|make|apply|allow)[^\n]*\?/i, reason: 'permission prompt' },
  { pattern: /Allow command\?|Approve[^\n]*\?\s*\n[\s\S]*Yes/i, reason: 'permission prompt' },
  { pattern: /Hooks need review/i, reason: 'hook review' },
  { pattern: /Sign in with ChatGPT|Provide your own API key/i, reason: 'login required' },
];

/**
 * `codex`: OpenAI Codex CLI, interactive.
 *
 * New: `codex -c mcp_servers.workerdeck={…} -c developer_instructions="…"
 * -c projects={"<worktree>"={trust_level="trusted"}} -c hooks.SessionStart=[…] -c hooks.state={…}
 * [--dangerously-bypass-approvals-and-sandbox] [config args] -- <task>`.
 * Session: Codex cannot be given an id up front. Its SessionStart hook records the id
 * (`codexSessionHookArgs`); `discoverSession` finds it in the rollout files otherwise.
 * Resume: `codex resume <session id>` with the same flags. Never `resume --last`: it
 * picks the directory's latest session, which may be another worker's in a shared dir.
 */
export const codexPreset: PresetFactory = (override = {}) => {
  const command = override.command ?? 'codex';
  const build = (ctx: LaunchContext, head: string[], tail: string[]): Launch => ({
    command,
    args: [
      ...head,
      ...codexConfigArgs(ctx),
      ...codexSessionHookArgs(ctx),
      ...(ctx.skipPermissions ? ['--dangerously-bypass-approvals-and-sandbox'] : []),
      ...(override.args ?? []),
      ...tail,
    ],
    env: { ...(override.env ?? {}) },
    files: [],
    typeAfterStart: null,
  });
  return {
    name: 'codex',
    description: 'OpenAI Codex CLI: MCP tools, developer instructions, resumes its own session',
    command,
    checkedVersion: CODEX_CHECKED_VERSION,
    installHint: 'npm install -g @openai/codex',
    supportsSkipPermissions: true,
    submitDelayMs: override.submitDelayMs ?? 80,
    promptRules: [...CODEX_PROMPT_RULES, ...COMMON_PROMPT_RULES],
    limitRules: CODEX_LIMIT_RULES,
    launch(ctx) {
      return build(ctx, [], ctx.task.trim() === '' ? [] : ['--', ctx.task]);
    },
    resume(ctx) {
      if (!CODEX_SESSION_RE.test(ctx.sessionId)) {
        throw new Error(`Cannot resume ${ctx.name}: its Codex session is not known (${ctx.sessionId} is not a Codex session id).`);
      }
      return build(ctx, ['resume', ctx.sessionId], []);
    },
    discoverSession(ctx) {
      return discoverCodexSession(ctx, override.env ?? {});
    },
  };
};

/**
 * Codex's usage-limit message (0.169.0, read in the binary): `You've hit your
 * usage limit. Upgrade to Pro (…), visit … or try again at 3:04 PM.`, with a
 * date when the reset is not today (`Dec 29th, 2025 10:15 PM`), in the local
 * time of the machine Codex runs on, the server's.
 */
export const CODEX_LIMIT_RULES: LimitRule[] = [
  { pattern: new RegExp(String.raw`You've hit your usage limit[^·]{0,400}?[Tt]ry again (?:at )?${RESET_TIME}`) },
  { pattern: /You've hit your usage limit|You've reached your usage limit/ },
];
