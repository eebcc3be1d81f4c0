/**
 * A scripted stand-in for the OpenAI Responses API, for e2e tests that run the
 * real Codex CLI: an HTTP server on 127.0.0.1 that answers `POST /v1/responses`
 * with a streamed (SSE) reply chosen by a script.
 *
 * Codex (0.169.0) is pointed at it with a provider of its own, no login and no
 * network (`codexFakeProviderArgs`). It sends two kinds of request: the turn
 * (it offers tools; `isMainLoop`) and a side request for the thread's title
 * (no tools), which gets a plain text reply unless the script says otherwise.
 * A tool call's result comes back in the next request as a `function_call_output`
 * input item with the call's `call_id`.
 *
 * It also answers `POST /v1/chat/completions` (streamed), for agents that take an
 * OpenAI-compatible provider such as opencode: the messages are read as Responses
 * input items (`chatAsResponses`), so one script and the same helpers serve both.
 */
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, type RecordedRequest } from './fake-http.js';

/** One output item of a scripted reply. */
export type ReplyItem =
  | { type: 'text'; text: string }
  /** A function call; `namespace` for a tool offered inside a namespace (Codex puts MCP tools there). */
  | { type: 'call'; name: string; args: Record<string, unknown>; namespace?: string; callId?: string };

/** A scripted assistant response. */
export interface Reply {
  items: ReplyItem[];
}

/** A function tool, or a namespace of them (`{type:"namespace", name:"mcp__workerdeck", tools:[…]}`). */
export interface ResponsesTool {
  type: string;
  name?: string;
  tools?: ResponsesTool[];
}

/** One input item: a message, an earlier call, a call's output, reasoning. */
export interface InputItem {
  type: string;
  role?: string;
  content?: { type: string; text?: string }[];
  name?: string;
  namespace?: string;
  arguments?: string;
  call_id?: string;
  output?: unknown;
}

/** The parts of a Responses API request body the scripts look at. */
export interface ResponsesRequest {
  model?: string;
  stream?: boolean;
  instructions?: string;
  tools?: ResponsesTool[];
  input: InputItem[];
}

/** Decides the reply to one request of the conversation (a stand-in of fake-openai or fake-gemini). */
export type Script = (request: ResponsesRequest, server: FakeHttpServer<Script>) => Reply;

/** A call the model made earlier in the conversation, with its output when one came back. */
export interface PastCall {
  /** The qualified name, `<namespace>__<name>` for a namespaced tool (`mcp__workerdeck__complete`). */
  name: string;
  args: Record<string, unknown>;
  callId: string;
  /** The tool's output as text; null while none came back. */
  output: string | null;
}

/** The parts of a Chat Completions request body the translation reads. */
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  tools?: { type: string; function?: { name: string } }[];
  messages: {
    role: string;
    content?: string | { type: string; text?: string }[] | null;
    tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    tool_call_id?: string;
  }[];
}

/**
 * A Chat Completions request as Responses input: each message a `message` item (its
 * text as one `input_text`), each assistant tool call a `function_call`, each `tool`
 * message a `function_call_output`; the function tools by name.
 */
export function chatAsResponses(chat: ChatRequest): ResponsesRequest {
  const textOf = (content: ChatRequest['messages'][number]['content']): string =>
    typeof content === 'string' ? content : (content ?? []).map((c) => c.text ?? '').join('\n');
  const input: InputItem[] = [];
  for (const message of chat.messages) {
    if (message.role === 'tool') {
      input.push({ type: 'function_call_output', call_id: message.tool_call_id, output: textOf(message.content) });
      continue;
    }
    const text = textOf(message.content);
    if (text !== '' || !message.tool_calls) input.push({ type: 'message', role: message.role, content: [{ type: 'input_text', text }] });
    for (const call of message.tool_calls ?? []) input.push({ type: 'function_call', name: call.function.name, arguments: call.function.arguments, call_id: call.id });
  }
  return {
    ...(chat.model !== undefined ? { model: chat.model } : {}),
    stream: chat.stream !== false,
    tools: (chat.tools ?? []).flatMap((t) => (t.function ? [{ type: 'function', name: t.function.name }] : [])),
    input,
  };
}

/** Whether this is the agent's own conversation (it offers tools), not a side request. */
export function isMainLoop(request: ResponsesRequest): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0;
}

/** Every tool offered, by qualified name (`exec_command`, `mcp__workerdeck__ask`). */
export function toolNames(request: ResponsesRequest): string[] {
  const names: string[] = [];
  for (const tool of request.tools ?? []) {
    if (tool.type === 'namespace') for (const inner of tool.tools ?? []) names.push(`${tool.name}__${inner.name}`);
    else if (tool.name) names.push(tool.name);
  }
  return names;
}

/** The text of an output, which is a string or a list of content items. */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((o) => (typeof (o as { text?: unknown }).text === 'string' ? (o as { text: string }).text : '')).join('\n');
  if (output && typeof output === 'object' && 'content' in output) return outputText((output as { content: unknown }).content);
  return JSON.stringify(output ?? null);
}

/** The model's calls in this request's history, in order, with their outputs. */
export function pastCalls(request: ResponsesRequest): PastCall[] {
  const calls: PastCall[] = [];
  const byId = new Map<string, PastCall>();
  for (const item of request.input) {
    if (item.type === 'function_call' && item.call_id) {
      let args: Record<string, unknown> = {};
      try {
        args = JSON.parse(item.arguments ?? '{}') as Record<string, unknown>;
      } catch {
        // keep {}
      }
      const call: PastCall = { name: item.namespace ? `${item.namespace}__${item.name}` : String(item.name), args, callId: item.call_id, output: null };
      calls.push(call);
      byId.set(item.call_id, call);
    } else if (item.type === 'function_call_output' && item.call_id) {
      const call = byId.get(item.call_id);
      if (call) call.output = outputText(item.output);
    }
  }
  return calls;
}

/**
 * The calls whose outputs end the request's input (the results of the model's last
 * calls), else []. Developer messages among them are passed over: after a command
 * allowed with "don't ask again", Codex adds `Approved command prefix saved: …` there.
 */
export function lastOutputs(request: ResponsesRequest): PastCall[] {
  const calls = pastCalls(request);
  const tail: PastCall[] = [];
  for (let i = request.input.length - 1; i >= 0; i--) {
    const item = request.input[i]!;
    if (item.type === 'message' && item.role === 'developer') continue;
    if (item.type !== 'function_call_output') break;
    const call = calls.find((c) => c.callId === item.call_id);
    if (call) tail.unshift(call);
  }
  return tail;
}

/** The text of every user message (the task, the operator's prompts, Codex's own notes such as `<turn_aborted>`). */
export function userTexts(request: ResponsesRequest): string[] {
  return request.input
    .filter((i) => i.type === 'message' && i.role === 'user')
    .map((i) => (i.content ?? []).map((c) => c.text ?? '').join('\n'));
}

/** A plain text reply that ends the turn. */
export function text(value: string): Reply {
  return { items: [{ type: 'text', text: value }] };
}

/**
 * A reply that calls one tool by its qualified name: `exec_command`, or a namespaced
 * one such as `mcp__workerdeck__complete`, split at the last `__` when the request
 * offers that namespace.
 */
export function call(request: ResponsesRequest, name: string, args: Record<string, unknown>): Reply {
  for (const tool of request.tools ?? []) {
    if (tool.type !== 'namespace' || !tool.name || !name.startsWith(`${tool.name}__`)) continue;
    const inner = name.slice(tool.name.length + 2);
    if ((tool.tools ?? []).some((t) => t.name === inner)) return { items: [{ type: 'call', name: inner, namespace: tool.name, args }] };
  }
  return { items: [{ type: 'call', name, args }] };
}

/**
 * The `-c` overrides that make Codex talk to a stand-in at `url` (`http://127.0.0.1:<port>`):
 * a provider `fake` with `wire_api="responses"` and its key read from `envKey` (so no
 * login is needed), no update check, and `model`. The default is a model Codex has no
 * metadata for: it then offers the plain function tools (`exec_command`, MCP tools in a
 * namespace) and only warns in its footer. A model it knows brings its own protocol
 * (`gpt-6.1-sol`: a JavaScript `exec` tool) or an upgrade dialog (`gpt-5.5`).
 */
export function codexFakeProviderArgs(url: string, envKey = 'FAKE_OPENAI_API_KEY', model = 'gpt-5-codex'): string[] {
  return [
    '-c', `model_providers.fake={name="fake",base_url="${url}/v1",wire_api="responses",env_key="${envKey}"}`,
    '-c', 'model_provider=fake',
    '-c', `model="${model}"`,
    '-c', 'check_for_update_on_startup=false',
  ];
}

export class FakeOpenAI extends FakeHttpServer<Script> {
  /** Main-loop `/v1/responses` requests, in order. */
  readonly turns: ResponsesRequest[] = [];
  private ids = 0;
  protected describeRequest(r: RecordedRequest): string {
    const body = r.body as Partial<ResponsesRequest> | null;
    const last = body?.input?.at(-1);
    const tail = last ? ` last ${last.type}${last.role ? `/${last.role}` : ''}: ${JSON.stringify(last.content ?? last.output ?? last.arguments ?? '').replace(/\s+/g, ' ').slice(0, 200)}` : '';
    return `${r.method} ${r.url}${body?.tools ? ` tools=${toolNames(body as ResponsesRequest).length}` : ''}${tail}`;
  }

  protected notFound(request: RecordedRequest): Record<string, unknown> {
    return { error: { type: 'invalid_request_error', message: `fake-openai: no ${request.method} ${request.pathname}` } };
  }

  protected route(recorded: RecordedRequest, res: ServerResponse): boolean {
    const chat = recorded.pathname === '/v1/chat/completions';
    if (recorded.method !== 'POST' || (recorded.pathname !== '/v1/responses' && !chat)) return false;
    const request = chat ? chatAsResponses(recorded.body as ChatRequest) : (recorded.body as ResponsesRequest);
    let reply: Reply;
    try {
      if (isMainLoop(request)) this.turns.push(request);
      reply = isMainLoop(request) ? this.script(request, this) : text('Fake title');
    } catch (error) {
      this.sendJson(res, 500, { error: { type: 'server_error', message: String(error) } });
      return true;
    }
    if (chat) this.sendChatStream(res, request, reply);
    else this.sendStream(res, request, reply);
    return true;
  }

  /**
   * Chat Completions chunks: the text as one `content` delta, each call as one
   * `tool_calls` delta with its whole arguments, a finish reason (`tool_calls` or
   * `stop`), a usage chunk, and `[DONE]`.
   */
  private sendChatStream(res: ServerResponse, request: ResponsesRequest, reply: Reply): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const id = `chatcmpl_fake_${++this.ids}`;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: request.model ?? 'fake-model', choices, ...extra })}\n\n`);
    const words = reply.items.flatMap((item) => (item.type === 'text' ? [item.text] : [])).join('\n');
    const calls = reply.items.flatMap((item) => (item.type === 'call' ? [item] : []));
    chunk([{ index: 0, delta: { role: 'assistant', ...(words !== '' ? { content: words } : {}) }, finish_reason: null }]);
    calls.forEach((item, index) => {
      const call = { index, id: item.callId ?? `call_fake_${this.ids}_${index}`, type: 'function', function: { name: item.name, arguments: JSON.stringify(item.args) } };
      chunk([{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }]);
    });
    chunk([{ index: 0, delta: {}, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' }]);
    chunk([], { usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } });
    res.write('data: [DONE]\n\n');
    res.end();
  }

  /** The Responses API's streamed events: created, each item added and done (text as one delta), completed. */
  private sendStream(res: ServerResponse, request: ResponsesRequest, reply: Reply): void {
    const event = this.startEvents(res);
    const id = `resp_fake_${++this.ids}`;
    const response = { id, object: 'response', model: request.model ?? 'gpt-5-codex', status: 'in_progress', output: [] };
    event('response.created', { response });
    const done: Record<string, unknown>[] = [];
    reply.items.forEach((item, index) => {
      const itemId = `item_fake_${this.ids}_${index}`;
      if (item.type === 'text') {
        const full = { type: 'message', id: itemId, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: item.text, annotations: [] }] };
        event('response.output_item.added', { output_index: index, item: { ...full, status: 'in_progress', content: [] } });
        event('response.output_text.delta', { item_id: itemId, output_index: index, content_index: 0, delta: item.text });
        event('response.output_item.done', { output_index: index, item: full });
        done.push(full);
      } else {
        const full = {
          type: 'function_call',
          id: itemId,
          call_id: item.callId ?? `call_fake_${this.ids}_${index}`,
          name: item.name,
          ...(item.namespace ? { namespace: item.namespace } : {}),
          arguments: JSON.stringify(item.args),
          status: 'completed',
        };
        event('response.output_item.added', { output_index: index, item: { ...full, arguments: '', status: 'in_progress' } });
        event('response.output_item.done', { output_index: index, item: full });
        done.push(full);
      }
    });
    const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 20 };
    event('response.completed', { response: { ...response, status: 'completed', output: done, usage } });
    res.end();
  }
}
