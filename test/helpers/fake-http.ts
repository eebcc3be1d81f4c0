/**
 * What the scripted API stand-ins (fake-anthropic, fake-openai) share: an HTTP
 * server on 127.0.0.1 on a free port that records every request (its body parsed
 * when it is JSON), hands it to the subclass's `route`, and answers 404 to a path
 * the subclass does not know (recorded in `unknown`, so a test can assert that
 * the agent fetched nothing the stand-in cannot answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received, body parsed when it was JSON. */
export interface RecordedRequest {
  method: string;
  url: string;
  /** `url` without its query string. */
  pathname: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
}

/** A stand-in API on 127.0.0.1 whose answers a script `S` decides. */
export abstract class FakeHttpServer<S> {
  /** Every request, in order of arrival. */
  readonly requests: RecordedRequest[] = [];
  /** Requests to paths the server does not know (answered 404). */
  readonly unknown: RecordedRequest[] = [];
  /** `http://127.0.0.1:<port>`, valid after `start()`. */
  url = '';
  private server: Server | null = null;

  constructor(protected script: S) {}

  /** Replace the script (e.g. between phases of a test). */
  setScript(script: S): void {
    this.script = script;
  }

  /** A summary of the requests, one line each, for failure messages. */
  describe(): string {
    return this.requests.map((r) => this.describeRequest(r)).join('\n');
  }

  /** One request in a line: method, path, and what its body says last. */
  protected abstract describeRequest(request: RecordedRequest): string;

  /** Answer one request; false when the path is not one this API has. */
  protected abstract route(request: RecordedRequest, res: ServerResponse): boolean;

  /** The JSON body of the 404 answer, in the API's own error shape. */
  protected abstract notFound(request: RecordedRequest): Record<string, unknown>;

  /** Listen on 127.0.0.1, on a free port; resolves to `url`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Close every connection and the listening socket. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Write `body` as a JSON answer with `status`. */
  protected sendJson(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  /** Start an SSE answer; the result writes one `event:`/`data:` pair, `type` merged into the data. */
  protected startEvents(res: ServerResponse): (type: string, data: Record<string, unknown>) => void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    return (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw === '' ? null : JSON.parse(raw);
    } catch {
      // keep the raw text
    }
    const url = req.url ?? '';
    const recorded: RecordedRequest = { method: req.method ?? '', url, pathname: url.split('?')[0] ?? '', headers: req.headers, body, at: Date.now() };
    this.requests.push(recorded);
    if (this.route(recorded, res)) return;
    this.unknown.push(recorded);
    this.sendJson(res, 404, this.notFound(recorded));
  }
}
