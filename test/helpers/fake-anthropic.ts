/**
 * A scripted stand-in for the Anthropic Messages API, for e2e tests that run
 * the real Claude Code CLI: an HTTP server on 127.0.0.1 that answers
 * `POST /v1/messages` with a streamed (SSE) reply chosen by a script.
 *
 * Claude Code sends more than the main conversation: side requests such as
 * a session title or a quota probe. The script sees every `/v1/messages`
 * request and decides; `isMainLoop` tells the conversation apart (it is the
 * one that offers the tools).
 */
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, type RecordedRequest } from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

/** One content block of a scripted reply. */
export type ReplyBlock = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

/** A scripted assistant message. */
export interface Reply {
  content: ReplyBlock[];
  /** Defaults to `tool_use` when a block calls a tool, else `end_turn`. */
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
}

/** The parts of a Messages API request body the scripts look at. */
export interface MessagesRequest {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  system?: unknown;
  tools?: { name: string }[];
  messages: { role: 'user' | 'assistant'; content: string | Record<string, unknown>[] }[];
}

/** Decides the reply to one `/v1/messages` request. */
export type Script = (request: MessagesRequest, server: FakeAnthropic) => Reply;

/** Every text in a message content (text blocks, tool results), joined with `\n`. */
export function contentText(content: MessagesRequest['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  const parts: string[] = [];
  for (const block of content) {
    if (typeof block.text === 'string') parts.push(block.text);
    if (block.type === 'tool_result') {
      const inner = block.content;
      if (typeof inner === 'string') parts.push(inner);
      else if (Array.isArray(inner)) parts.push(contentText(inner as Record<string, unknown>[]));
    }
  }
  return parts.join('\n');
}

/** The blocks of type `tool_result` in the last user message. */
export function lastToolResults(request: MessagesRequest): Record<string, unknown>[] {
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user' || typeof last.content === 'string') return [];
  return last.content.filter((b) => b.type === 'tool_result');
}

/** Whether this is the agent's own conversation (it offers tools), not a side request. */
export function isMainLoop(request: MessagesRequest): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0;
}

/** A plain text reply that ends the turn. */
export function text(value: string): Reply {
  return { content: [{ type: 'text', text: value }], stopReason: 'end_turn' };
}

/** A reply that calls one tool. */
export function toolUse(name: string, input: Record<string, unknown>, preface?: string): Reply {
  return { content: [...(preface ? [{ type: 'text' as const, text: preface }] : []), { type: 'tool_use', name, input }], stopReason: 'tool_use' };
}

export class FakeAnthropic extends FakeHttpServer<Script> {
  /** Main-loop `/v1/messages` requests, in order. */
  readonly turns: MessagesRequest[] = [];
  /**
   * While set, every `/v1/messages` request is refused as a subscriber's
   * usage limit: 429 with `anthropic-ratelimit-unified-status: rejected` and
   * the reset (epoch s), which Claude Code signed in with an OAuth token shows
   * as `You've hit your 5-hour limit · resets …`.
   */
  usageLimit: { resetAt: number } | null = null;
  private toolIds = 0;
  protected describeRequest(r: RecordedRequest): string {
    const body = r.body as Partial<MessagesRequest> | null;
    const last = body?.messages?.at(-1);
    const tail = last ? ` last ${last.role}: ${contentText(last.content).replace(/\s+/g, ' ').slice(0, 160)}` : '';
    return `${r.method} ${r.url}${body?.tools ? ` tools=${body.tools.length}` : ''}${tail}`;
  }

  protected notFound(request: RecordedRequest): Record<string, unknown> {
    return { type: 'error', error: { type: 'not_found_error', message: `fake-anthropic: no ${request.method} ${request.pathname}` } };
  }

  protected route(recorded: RecordedRequest, res: ServerResponse): boolean {
    if (recorded.method === 'POST' && recorded.pathname === '/v1/messages' && this.usageLimit) {
      const reset = String(this.usageLimit.resetAt);
      res.writeHead(429, {
        'content-type': 'application/json',
        'x-should-retry': 'false',
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': reset,
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
        'anthropic-ratelimit-unified-5h-status': 'rejected',
        'anthropic-ratelimit-unified-5h-reset': reset,
      });
      res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }));
      return true;
    }
    if (recorded.method === 'POST' && recorded.pathname === '/v1/messages') {
      const request = recorded.body as MessagesRequest;
      if (isMainLoop(request)) this.turns.push(request);
      let reply: Reply;
      try {
        reply = this.script(request, this);
      } catch (error) {
        this.sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(error) } });
        return true;
      }
      if (request.stream === false) this.sendMessage(res, request, reply);
      else this.sendStream(res, request, reply);
      return true;
    }
    if (recorded.method === 'POST' && recorded.pathname === '/v1/messages/count_tokens') {
      this.sendJson(res, 200, { input_tokens: 100 });
      return true;
    }
    return false;
  }

  private blocks(reply: Reply): Record<string, unknown>[] {
    return reply.content.map((block) =>
      block.type === 'text'
        ? { type: 'text', text: block.text }
        : { type: 'tool_use', id: block.id ?? `toolu_fake_${++this.toolIds}`, name: block.name, input: block.input },
    );
  }

  private stopReason(reply: Reply): string {
    return reply.stopReason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  }

  private message(request: MessagesRequest): Record<string, unknown> {
    return {
      id: `msg_fake_${this.requests.length}`,
      type: 'message',
      role: 'assistant',
      model: request.model ?? 'claude-sonnet-4-5',
      stop_sequence: null,
    };
  }

  private sendMessage(res: ServerResponse, request: MessagesRequest, reply: Reply): void {
    this.sendJson(res, 200, {
      ...this.message(request),
      content: this.blocks(reply),
      stop_reason: this.stopReason(reply),
      usage: { input_tokens: 10, output_tokens: 10 },
    });
  }

  private sendStream(res: ServerResponse, request: MessagesRequest, reply: Reply): void {
    const event = this.startEvents(res);
    event('message_start', {
      message: { ...this.message(request), content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } },
    });
    this.blocks(reply).forEach((block, index) => {
      if (block.type === 'text') {
        event('content_block_start', { index, content_block: { type: 'text', text: '' } });
        event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
      } else {
        event('content_block_start', { index, content_block: { ...block, input: {} } });
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
      }
      event('content_block_stop', { index });
    });
    event('message_delta', { delta: { stop_reason: this.stopReason(reply), stop_sequence: null }, usage: { output_tokens: 10 } });
    event('message_stop', {});
    res.end();
  }
}
