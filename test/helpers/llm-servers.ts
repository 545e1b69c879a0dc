/**
 * Language-model servers on loopback for tests: one that speaks OpenAI's chat completions and
 * embeddings API, one that speaks Anthropic's Messages API, each in JSON and in SSE streams (real
 * HTTP, so the official SDK clients talk to them unchanged). A test queues faults that the next
 * requests meet, in order: an HTTP status (429 with `retry-after`, 500, 401, 400), a hang (the
 * request is never answered), a stream cut after its first chunk. Every request is recorded with
 * the credential it carried.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the next request meets. */
export type Fault = { readonly status: number; readonly retryAfter?: string; readonly body?: string } | { readonly hang: true } | { readonly cutStream: true };

/** One request a server got. */
export interface SeenRequest {
  readonly path: string;
  /** `x-api-key` (Anthropic), else `authorization` (OpenAI). */
  readonly credential: string | undefined;
  readonly body: Record<string, unknown>;
}

export interface LlmTestServer {
  /** The base URL: `http://127.0.0.1:<port>/v1` (OpenAI) or `http://127.0.0.1:<port>` (Anthropic). */
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Faults the next requests meet, in order. */
  readonly faults: Fault[];
  /** The words a completion answers with (one SSE chunk each). */
  words: string[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void;

async function serve(kind: 'openai' | 'anthropic', handler: (server: LlmTestServer) => Handler): Promise<LlmTestServer> {
  const sockets = new Set<Socket>();
  let state: LlmTestServer;
  let handle: Handler;
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        body = {};
      }
      const credential = (req.headers['x-api-key'] ?? req.headers.authorization) as string | undefined;
      state.requests.push({ path: req.url ?? '', credential, body });
      const fault = state.faults.shift();
      if (fault && 'hang' in fault) return; // never answered
      if (fault && 'status' in fault) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers);
        // A hostile server may echo the credential it got: the host must never pass it on.
        res.end(fault.body ?? JSON.stringify({ error: { message: `failed for ${credential}`, type: 'server_error' } }));
        return;
      }
      if (fault && 'cutStream' in fault) (res as ServerResponse & { cut?: boolean }).cut = true;
      handle(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state = {
    url: kind === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    requests: [],
    faults: [],
    words: ['Hello', ' from', ' loopback'],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  handle = handler(state);
  return state;
}

function sse(res: ServerResponse, events: Array<{ event?: string; data: unknown }>, cut: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const [i, e] of events.entries()) {
    if (cut && i === 2) {
      // After the first chunks reached the client: the stream had started.
      setTimeout(() => res.destroy(), 100);
      return;
    }
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
  }
  res.end();
}

function promptTokens(messages: unknown): number {
  return Array.isArray(messages) ? messages.length * 5 : 0;
}

/** An OpenAI-compatible server (`/v1/chat/completions`, `/v1/embeddings`). */
export function openAiServer(): Promise<LlmTestServer> {
  return serve('openai', (state) => (req, res, body) => {
    const cut = (res as ServerResponse & { cut?: boolean }).cut === true;
    if (req.url === '/v1/embeddings') {
      const input = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data: input.map((_, index) => ({ object: 'embedding', index, embedding: [0.25, -0.5, index] })),
          usage: { prompt_tokens: input.length * 3, total_tokens: input.length * 3 },
        }),
      );
      return;
    }
    const words = state.words;
    const maxTokens = Number(body.max_tokens ?? 100);
    const used = words.slice(0, maxTokens);
    const finish = used.length < words.length ? 'length' : 'stop';
    const usage = { prompt_tokens: promptTokens(body.messages), completion_tokens: used.length, total_tokens: promptTokens(body.messages) + used.length };
    const base = { id: 'chatcmpl-1', created: 1, model: body.model };
    if (body.stream) {
      sse(
        res,
        [
          ...used.map((w) => ({ data: { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: w }, finish_reason: null }] } })),
          { data: { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: finish }] } },
          { data: { ...base, object: 'chat.completion.chunk', choices: [], usage } },
          { data: '[DONE]' },
        ],
        cut,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: used.join('') }, finish_reason: finish }],
        usage,
      }),
    );
  });
}

/** An Anthropic Messages API server (`/v1/messages`). */
export function anthropicServer(): Promise<LlmTestServer> {
  return serve('anthropic', (state) => (_req, res, body) => {
    const cut = (res as ServerResponse & { cut?: boolean }).cut === true;
    const words = state.words;
    const used = words.slice(0, Number(body.max_tokens ?? 100));
    const stop = used.length < words.length ? 'max_tokens' : 'end_turn';
    const input = promptTokens(body.messages) + (body.system ? 5 : 0);
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, stop_sequence: null };
    if (body.stream) {
      sse(
        res,
        [
          {
            event: 'message_start',
            data: { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: input, output_tokens: 1 } } },
          },
          { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
          ...used.map((w) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } } })),
          { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
          { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: used.length } } },
          { event: 'message_stop', data: { type: 'message_stop' } },
        ],
        cut,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...message,
        content: [{ type: 'text', text: used.join('') }],
        stop_reason: stop,
        usage: { input_tokens: input, output_tokens: used.length },
      }),
    );
  });
}
