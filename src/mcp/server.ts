import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { MailType } from '../core/mail.js';
import { replyAsToolResult } from '../agents/hook.js';
import { markWaiting, unmarkWaiting, waitForReply } from '../mail/ask-wait.js';
import { sendMail } from '../mail/writer.js';
import { stateLayout } from '../registry/state-dir.js';

export interface WorkerIdentity {
  workerId: string;
  workerName?: string;
  stateDir: string;
  /**
   * Ask in wait mode: how long `ask` waits for the operator's reply, in ms, before it
   * falls back to "end your turn" (`WORKERDECK_ASK_WAIT`, in s). 0 or absent: type mode.
   */
  askWaitMs?: number;
}

/** How often a waiting `ask` sends a progress notification, in ms (it resets opencode's timeout and Claude's idle watchdog). */
export const ASK_PROGRESS_MS = 20_000;

/** The start of what a waited `ask` returns: the operator's answer follows. */
export const ASK_ANSWER_PREFIX = "The operator's answer:";

/** What a waited `ask` returns when its wait ran out: today's text, and why. */
export const ASK_WAIT_EXPIRED = 'The operator has not answered yet.';

/** The ask tool's description in type mode. */
const ASK_DESCRIPTION_TYPE =
  'Ask the human operator who supervises you a question, when you are blocked, need a decision, or need information only they have. ' +
  'Ask one clear, self-contained question; include the options you see. After calling this tool, END YOUR TURN immediately and wait: ' +
  "the operator's answer arrives as your next user message. Do not guess instead of asking.";

/** The ask tool's description in wait mode. */
const ASK_DESCRIPTION_WAIT =
  'Ask the human operator who supervises you a question, when you are blocked, need a decision, or need information only they have. ' +
  'Ask one clear, self-contained question; include the options you see. The call waits for the answer and returns it as its result: ' +
  'do NOT end your turn; read the answer and go on. Only if the result says the operator has not answered yet, end your turn: ' +
  "the answer then arrives as your next user message. Do not guess instead of asking.";

/** `WORKERDECK_ASK_WAIT` (seconds) as ms; 0 when unset or not a positive number. */
export function askWaitMsFromEnv(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.WORKERDECK_ASK_WAIT ?? '');
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 0;
}

/** The text `ask` returns to the agent. */
export const ASK_RESULT =
  'Your question was sent to the operator. End your turn now and wait: do not continue working on anything that depends on the answer. The operator\'s reply will arrive as your next user message.';

/**
 * Build the `workerdeck` MCP server with the tools `ask(question)`,
 * `complete(summary)` and `progress(note)`. Each tool writes one mail message
 * into the deck's Maildir for `identity`. With `identity.askWaitMs` > 0, `ask`
 * waits up to that many ms for the operator's reply and returns it as its result
 * (src/mail/ask-wait.ts), else it tells the agent to end its turn.
 */
export function createMcpServer(identity: WorkerIdentity, version: string): McpServer {
  const server = new McpServer({ name: 'workerdeck', version });
  const waitMs = identity.askWaitMs ?? 0;
  const workerFiles = stateLayout(identity.stateDir).workerFiles;
  /** One mail message from this worker; `id` when the caller must know it before it is sent (a waited ask). */
  const send = async (type: MailType, content: string, id?: string) =>
    sendMail({ stateDir: identity.stateDir, workerId: identity.workerId, workerName: identity.workerName, type, content, ...(id ? { id } : {}) });
  const fail = (error: unknown) => ({
    isError: true,
    content: [{ type: 'text' as const, text: `The message could not be delivered to the deck: ${(error as Error).message}` }],
  });

  const tools: {
    name: string;
    title: string;
    description: string;
    field: string;
    fieldDescription: string;
    type: MailType;
    result: (id: string) => string;
  }[] = [
    {
      name: 'ask',
      title: 'Ask the operator',
      description: waitMs > 0 ? ASK_DESCRIPTION_WAIT : ASK_DESCRIPTION_TYPE,
      field: 'question',
      fieldDescription: 'The question, self-contained, with the options you see.',
      type: 'question',
      result: (id) => `${ASK_RESULT} (message ${id})`,
    },
    {
      name: 'complete',
      title: 'Report the task complete',
      description:
        'Tell the operator that your task is done. Call this once, at the end, after committing your work on your branch. ' +
        'The summary says what you changed, how you checked it (tests, builds), and anything left open or worth a look.',
      field: 'summary',
      fieldDescription: 'What you did, how you verified it, and what is left open.',
      type: 'completion',
      result: (id) => `The operator has your summary (message ${id}). You can end your turn.`,
    },
    {
      name: 'progress',
      title: 'Report progress',
      description:
        'Send the operator a one-line progress note during a long task, e.g. "tests pass, now updating the docs". ' +
        'It does not wait for an answer; keep working after calling it.',
      field: 'note',
      fieldDescription: 'One short line on where you are.',
      type: 'progress',
      result: () => 'Noted. Keep going.',
    },
  ];
  type Extra = { signal: AbortSignal; _meta?: { progressToken?: string | number }; sendNotification: (n: { method: 'notifications/progress'; params: { progressToken: string | number; progress: number; message?: string } }) => Promise<void> };
  /** `ask` in wait mode: mark, send the question, wait for the reply (src/mail/ask-wait.ts). */
  const waitedAsk = async (question: string, extra: Extra) => {
    const id = randomUUID();
    try {
      await markWaiting(workerFiles, identity.workerId, id, waitMs);
    } catch {
      // Without the mark the deck types the reply: ask as in type mode.
      const sent = await send('question', question);
      return { content: [{ type: 'text' as const, text: `${ASK_RESULT} (message ${sent})` }] };
    }
    try {
      await send('question', question, id);
    } catch (error) {
      await unmarkWaiting(workerFiles, identity.workerId, id);
      throw error;
    }
    const token = extra._meta?.progressToken;
    let lastProgress = Date.now();
    let ticks = 0;
    const outcome = await waitForReply({
      workerFiles,
      workerId: identity.workerId,
      questionId: id,
      waitMs,
      signal: extra.signal,
      onTick: () => {
        if (token === undefined || Date.now() - lastProgress < ASK_PROGRESS_MS) return;
        lastProgress = Date.now();
        ticks += 1;
        void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ticks, message: 'waiting for the operator' } }).catch(() => undefined);
      },
    });
    if (outcome.reply === null) {
      return { content: [{ type: 'text' as const, text: `${ASK_WAIT_EXPIRED} ${ASK_RESULT} (message ${id})` }] };
    }
    // The answer is a new operator message the agent must report on (Claude's Stop hook).
    await replyAsToolResult(identity.stateDir, identity.workerId, Date.now()).catch(() => undefined);
    return { content: [{ type: 'text' as const, text: `${ASK_ANSWER_PREFIX}\n${outcome.reply}` }] };
  };

  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: { [tool.field]: z.string().min(1).describe(tool.fieldDescription) },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      async (args: Record<string, string>, extra) => {
        try {
          if (tool.name === 'ask' && waitMs > 0) return await waitedAsk(args[tool.field] ?? '', extra);
          const id = await send(tool.type, args[tool.field] ?? '');
          return { content: [{ type: 'text' as const, text: tool.result(id) }] };
        } catch (error) {
          return fail(error);
        }
      },
    );
  }

  return server;
}

/** Run the MCP server on stdio until the client closes it; the ask wait comes from `WORKERDECK_ASK_WAIT` (s) unless `identity` has one. */
export async function runMcpServer(identity: WorkerIdentity, version: string): Promise<void> {
  const server = createMcpServer({ ...identity, askWaitMs: identity.askWaitMs ?? askWaitMsFromEnv(process.env) }, version);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
}
