/**
 * A scripted stand-in for the Gemini API (`generateContent`, streamed or not), for
 * e2e tests that run the real Gemini CLI: an HTTP server on 127.0.0.1 that Gemini CLI
 * 0.61.0 reaches through `GOOGLE_GEMINI_BASE_URL` (with `GEMINI_API_KEY` set and
 * `security.auth.selectedType: "gemini-api-key"` in its user settings).
 *
 * The request's `contents` are read as Responses input items (`geminiAsResponses`), so
 * the scripts and helpers of fake-openai serve here too. Requests without tools (the
 * CLI's model router and other side questions) get a short text, which the CLI takes
 * as "no advice" and goes on.
 */
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, type RecordedRequest } from './fake-http.js';
import { isMainLoop, text, toolNames, type InputItem, type Reply, type ResponsesRequest, type Script } from './fake-openai.js';

/** One part of a Gemini content. */
interface Part {
  text?: string;
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response?: unknown; id?: string };
}

/** The parts of a `generateContent` request body the translation reads. */
export interface GenerateContentRequest {
  contents: { role?: string; parts?: Part[] }[];
  tools?: { functionDeclarations?: { name: string }[] }[];
}

/**
 * A `generateContent` request as Responses input: each text part a `message` (role
 * `model` as `assistant`), each `functionCall` a `function_call` and each
 * `functionResponse` a `function_call_output` (its response as JSON), joined by the
 * call's id, else its name; the declared functions by name.
 */
export function geminiAsResponses(request: GenerateContentRequest, model: string): ResponsesRequest {
  const input: InputItem[] = [];
  for (const content of request.contents ?? []) {
    const role = content.role === 'model' ? 'assistant' : (content.role ?? 'user');
    for (const part of content.parts ?? []) {
      if (typeof part.text === 'string') input.push({ type: 'message', role, content: [{ type: 'input_text', text: part.text }] });
      if (part.functionCall) {
        const call = part.functionCall;
        input.push({ type: 'function_call', name: call.name, arguments: JSON.stringify(call.args ?? {}), call_id: call.id ?? call.name });
      }
      if (part.functionResponse) {
        const response = part.functionResponse;
        input.push({ type: 'function_call_output', call_id: response.id ?? response.name, output: JSON.stringify(response.response ?? null) });
      }
    }
  }
  const tools = (request.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => ({ type: 'function', name: f.name })));
  return { model, stream: true, tools, input };
}

export class FakeGemini extends FakeHttpServer<Script> {
  /** Main-loop requests (they declare tools), in order, as Responses requests. */
  readonly turns: ResponsesRequest[] = [];
  protected describeRequest(r: RecordedRequest): string {
    const body = r.body as GenerateContentRequest | null;
    const last = body?.contents?.at(-1)?.parts?.at(-1);
    return `${r.method} ${r.pathname}${body?.tools ? ` tools=${toolNames(geminiAsResponses(body, '')).length}` : ''} last: ${JSON.stringify(last ?? '').slice(0, 200)}`;
  }

  protected notFound(request: RecordedRequest): Record<string, unknown> {
    return { error: { code: 404, status: 'NOT_FOUND', message: `fake-gemini: no ${request.method} ${request.pathname}` } };
  }

  protected route(recorded: RecordedRequest, res: ServerResponse): boolean {
    const match = /^\/v1(?:beta)?\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/.exec(recorded.pathname);
    if (recorded.method !== 'POST' || !match) return false;
    const [, model = '', method] = match;
    if (method === 'countTokens') {
      this.sendJson(res, 200, { totalTokens: 100 });
      return true;
    }
    const request = geminiAsResponses(recorded.body as GenerateContentRequest, model);
    let reply: Reply;
    try {
      if (isMainLoop(request)) this.turns.push(request);
      reply = isMainLoop(request) ? this.script(request, this) : text('ok');
    } catch (error) {
      this.sendJson(res, 500, { error: { code: 500, status: 'INTERNAL', message: String(error) } });
      return true;
    }
    const parts = reply.items.map((item) =>
      item.type === 'text' ? { text: item.text } : { functionCall: { name: item.name, args: item.args, ...(item.callId ? { id: item.callId } : {}) } },
    );
    const body = {
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 10, totalTokenCount: 20 },
      modelVersion: model,
    };
    if (method === 'generateContent') {
      this.sendJson(res, 200, body);
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(body)}\r\n\r\n`);
    res.end();
    return true;
  }
}
