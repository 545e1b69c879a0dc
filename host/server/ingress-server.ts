import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PluginEvent } from '../engine/plugin-event.js';
import { envelopeToEvent } from '../engine/plugin-event.js';
import { isLnError, LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { edgeTracingOn, runInEdgeSpan, SpanKind, startEdgeSpan } from '../observability/tracing-context.js';
import { parseJson } from '../support/json-depth.js';
import { acceptsJsonAnswer, binaryAnswer, binaryEvent, type IngressMode, ingressMode, JSON_TYPES } from './cloudevents-http.js';
import { HttpService } from './http-service.js';
import { crossSiteReason } from './request-origin.js';

/**
 * Who gets the events (`LiquidNanoRuntime`): the plugins that serve, in delivery order, and what
 * routing one event did (`DispatchResult`: results, followUps, dropped, stopped).
 */
export interface EventDispatcher {
  readonly names: readonly string[];
  dispatch(event: PluginEvent): Promise<{ readonly results: readonly unknown[] }>;
}

/** Ingress settings. Every default is in `INGRESS_DEFAULTS`. Read per request: getters make them live. */
export interface IngressOptions {
  readonly plugins: EventDispatcher;
  readonly logger: Logger;
  /** Largest request body, bytes. */
  readonly maxBodyBytes?: number;
  /** Most events in one batch. */
  readonly maxBatch?: number;
  /** Web origins (`https://app.example`) whose pages may post events cross-site; default none. */
  readonly allowedOrigins?: readonly string[];
  /** Pipelines: starts the runs an event triggers; each answer then lists them as `pipelines`. */
  readonly pipelines?: { start(event: PluginEvent): Array<{ name: string; runId: string }> };
  /**
   * Told of every answered request (the metrics registry's `ingressObserver()`): its method, the
   * matched route's pattern (undefined for a 404), its status and how long it took, seconds.
   */
  readonly observer?: { onResponse(method: string, route: string | undefined, status: number, seconds: number): void };
  /** The routes of `wasi:http/proxy` components (`http-routes/route-server.ts`), served before everything else. */
  readonly routes?: { serve(req: IncomingMessage, res: ServerResponse, requestId: string): string | null };
}

/** Defaults: 1 MiB bodies, batches of up to 100 events, no origin allowed cross-site. */
export const INGRESS_DEFAULTS = Object.freeze({ maxBodyBytes: 1024 * 1024, maxBatch: 100, allowedOrigins: Object.freeze([]) as readonly string[] });

/** A `POST /events` body as its parser read it: the mode its headers name, and the bytes. */
interface EventBody {
  readonly mode: IngressMode;
  readonly bytes: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads a body of at most `limit` bytes (a declared larger one is refused before reading). The
 * ingress reads its own bodies because its limit is live (`ingress.maxBodyBytes` hot-reloads),
 * where fastify's route `bodyLimit` is fixed when the route is made.
 */
function readBody(payload: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): LnError => new LnError('LN_ERR_EVENT_TOO_LARGE', { limit });
    if (Number(payload.headers['content-length'] ?? 0) > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        payload.destroy();
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    payload.on('error', (err) => reject(new LnError('LN_ERR_EVENT_INVALID', { reason: `the body could not be read (${err.message.slice(0, 80)})` })));
  });
}

/**
 * The event ingress: `POST /events` takes one CloudEvents-style JSON envelope or an array of
 * them (or one binary-mode event, see `cloudevents-http.ts`) and answers with every plugin's
 * result and the follow-ups' (see docs/runtime.md); `GET /health` says whether the host is up.
 * Browsers' cross-site requests and, on a loopback listener, non-loopback `Host`s are refused
 * (`request-origin.ts`) before anything else; then a body that is neither JSON nor binary mode is
 * a 415 before it is read. Another method on either path is a 405 with `Allow`. Errors answer
 * `{ code, message, details, requestId }`; internals go only to the log.
 */
export class IngressServer extends HttpService {
  readonly #options: IngressOptions;

  constructor(options: IngressOptions) {
    super({
      logger: options.logger,
      name: 'ingress',
      errors: {
        notFound: (method, path) => new LnError('LN_ERR_EVENT_NOT_FOUND', { method, path }),
        methodNotAllowed: (method, path, allowed) => new LnError('LN_ERR_EVENT_METHOD_NOT_ALLOWED', { method, path, allowed: allowed.join(', ') }),
        tooLarge: (limit) => new LnError('LN_ERR_EVENT_TOO_LARGE', { limit }),
        badRequest: (reason) => new LnError('LN_ERR_EVENT_INVALID', { reason }),
      },
    });
    this.#options = options;
    // Every body type: the mode comes from the headers (415 before reading), the bytes under the live limit.
    const parse = (request: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: EventBody) => void): void => {
      const mode = ingressMode(request.headers);
      readBody(payload, this.#options.maxBodyBytes ?? INGRESS_DEFAULTS.maxBodyBytes).then((bytes) => done(null, { mode, bytes }), done);
    };
    // The JSON types by name (fastify caches their lookup), every other type through '*'.
    this.app.addContentTypeParser([...JSON_TYPES], parse);
    this.app.addContentTypeParser('*', parse);
    const observer = options.observer;
    if (observer) {
      this.app.addHook('onResponse', (request, reply, done) => {
        observer.onResponse(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
        done();
      });
    }
    this.app.get('/health', () => ({ status: 'ok', plugins: this.#options.plugins.names }));
    this.app.post('/events', (request, reply) => this.#traced(request, reply));
    this.refuseOtherMethods('/health', ['GET']);
    this.refuseOtherMethods('/events', ['POST']);
  }

  protected admit(request: FastifyRequest, reply: FastifyReply): void {
    // An HTTP component's route: its own app, answered from the raw request (the body streams).
    const route = this.#options.routes?.serve(request.raw, reply.raw, request.id);
    if (route) {
      // A hijacked reply skips fastify's onResponse: the route's request is counted when its answer ends.
      const observer = this.#options.observer;
      if (observer) {
        const started = performance.now();
        reply.raw.once('close', () => observer.onResponse(request.method, route, reply.raw.statusCode, (performance.now() - started) / 1000));
      }
      reply.hijack();
      return;
    }
    const refused = crossSiteReason(request.raw, { loopback: this.loopback, allowedOrigins: this.#options.allowedOrigins ?? INGRESS_DEFAULTS.allowedOrigins });
    if (refused !== null) throw new LnError('LN_ERR_EVENT_CROSS_SITE', { reason: refused });
  }

  /**
   * `POST /events` in a `SERVER` span that continues the request's `traceparent` (tracing on;
   * `tracing-context.ts`); without tracing, the answer itself.
   */
  #traced(request: FastifyRequest, reply: FastifyReply): Promise<object> {
    if (!edgeTracingOn()) return this.#events(request, reply);
    const edge = startEdgeSpan('POST /events', SpanKind.SERVER, request.headers, {
      'http.request.method': 'POST',
      'url.path': '/events',
      'lnano.request_id': request.id,
    });
    return runInEdgeSpan(edge, () => this.#events(request, reply));
  }

  /**
   * The answer to `POST /events`: one event's, or `{ requestId, events }` for a batch; a
   * binary-mode request gets a binary-mode answer when one fits (`binaryAnswer`) and it did not
   * ask for JSON (`Accept`). Not async itself (one promise layer less per request); a refusal
   * here throws, as a rejection would fail.
   */
  #events(request: FastifyRequest, reply: FastifyReply): Promise<object> {
    // No body and no Content-Type skips the parser: the mode check is then made here.
    const body = (request.body as EventBody | undefined) ?? { mode: ingressMode(request.headers), bytes: EMPTY };
    if (body.mode === 'binary') {
      const answer = this.#route(binaryEvent(request.headers, body.bytes), request.id);
      if (acceptsJsonAnswer(request.headers.accept)) return answer;
      return answer.then((routed) => {
        const binary = binaryAnswer(routed as Parameters<typeof binaryAnswer>[0]);
        return binary
          ? reply
              .code(binary.status)
              .headers(binary.headers)
              .send(binary.body ?? undefined)
          : routed;
      });
    }
    const { events, batch } = this.#jsonEvents(body.bytes, body.mode);
    return batch ? this.#batch(events, request.id) : this.#route(events[0]!, request.id);
  }

  /** A batch's answer: each event routed in turn. */
  async #batch(events: readonly PluginEvent[], requestId: string): Promise<object> {
    const results = [];
    for (const event of events) results.push(await this.#route(event, undefined));
    return { requestId, events: results };
  }

  /** One event's part of the answer (with the request id first for a single event): its id, what routing it did, the pipeline runs it started. */
  async #route(event: PluginEvent, requestId: string | undefined): Promise<object> {
    const pipelines = this.#options.pipelines;
    const runs = pipelines ? pipelines.start(event) : undefined;
    const routed = await this.#options.plugins.dispatch(event);
    // Object.assign, not `{ ...head, ...routed }`: on Node 20 a spread after a spread takes V8's
    // slow path (~5–15 µs per answer on a small box); the keys and their order are the same.
    const answer: Record<string, unknown> = Object.assign(requestId === undefined ? { id: event.id } : { requestId, id: event.id }, routed);
    if (runs) answer.pipelines = runs;
    return answer;
  }

  /**
   * The events of a structured, batch or plain JSON body: UTF-8 JSON within the depth limit, an
   * object for structured mode, an array for batch mode (either for plain JSON), each envelope validated.
   */
  #jsonEvents(body: Buffer, mode: IngressMode): { events: PluginEvent[]; batch: boolean } {
    if (!isUtf8(body)) throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'the body is not UTF-8 (JSON events are UTF-8)' });
    const parsed = parseJson(body.toString('utf8'), (why) =>
      why.kind === 'tooDeep'
        ? new LnError('LN_ERR_EVENT_TOO_DEEP', { limit: why.limit })
        : new LnError('LN_ERR_EVENT_INVALID', { reason: 'the body is not valid JSON' }),
    );
    const batch = Array.isArray(parsed);
    if (mode === 'structured' && batch)
      throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'application/cloudevents+json holds one event; send a batch as application/cloudevents-batch+json' });
    if (mode === 'batch' && !batch) throw new LnError('LN_ERR_EVENT_INVALID', { reason: 'application/cloudevents-batch+json holds a JSON array of events' });
    const envelopes = batch ? (parsed as unknown[]) : [parsed];
    const maxBatch = this.#options.maxBatch ?? INGRESS_DEFAULTS.maxBatch;
    if (envelopes.length === 0 || envelopes.length > maxBatch) {
      throw new LnError('LN_ERR_EVENT_INVALID', { reason: `a batch holds 1 to ${maxBatch} events, got ${envelopes.length}` });
    }
    const events = envelopes.map((e, i) => {
      try {
        return envelopeToEvent(e);
      } catch (err) {
        if (batch && isLnError(err)) throw new LnError('LN_ERR_EVENT_INVALID', { reason: `event ${i}: ${String(err.details.reason)}` });
        throw err;
      }
    });
    return { events, batch };
  }
}
