import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import type { MailType } from '../core/mail.js';
import { sendMail } from '../mail/writer.js';

export interface WorkerIdentity {
  workerId: string;
  workerName?: string;
  stateDir: string;
}

/** The text `ask` returns to the agent. */
export const ASK_RESULT =
  'Your question was sent to the operator. End your turn now and wait: do not continue working on anything that depends on the answer. The operator\'s reply will arrive as your next user message.';

/**
 * Build the `workerdeck` MCP server with the tools `ask(question)`,
 * `complete(summary)` and `progress(note)`. Each tool writes one mail message
 * into the deck's Maildir for `identity`.
 */
export function createMcpServer(identity: WorkerIdentity, version: string): McpServer {
  const server = new McpServer({ name: 'workerdeck', version });
  const send = async (type: MailType, content: string) =>
    sendMail({ stateDir: identity.stateDir, workerId: identity.workerId, workerName: identity.workerName, type, content });
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
      description:
        'Ask the human operator who supervises you a question, when you are blocked, need a decision, or need information only they have. ' +
        'Ask one clear, self-contained question; include the options you see. After calling this tool, END YOUR TURN immediately and wait: ' +
        "the operator's answer arrives as your next user message. Do not guess instead of asking.",
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
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: { [tool.field]: z.string().min(1).describe(tool.fieldDescription) },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      async (args: Record<string, string>) => {
        try {
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

/** Run the MCP server on stdio until the client closes it. */
export async function runMcpServer(identity: WorkerIdentity, version: string): Promise<void> {
  const server = createMcpServer(identity, version);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
}
