import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { LnError, isLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { envelopeToEvent } from '../engine/plugin-event.js';
import type { PluginEvent } from '../engine/plugin-event.js';
import { parseJson } from '../support/json-depth.js';
import { binaryEvent, ingressMode } from './cloudevents-http.js';
import { HttpService, readBody, sendError, sendJson as send } from './http-io.js';
import { crossSiteReason } from './request-origin.js';

/**
 * Who gets the events (`LiquidNanoRuntime`): the plugins that serve, in delivery order, and what
 * routing one event did (`DispatchResult`: results, followUps, dropped, stopped).
 */
export interface EventDispatcher {
  readonly names: readonly string[];
  dispatch(event: PluginEvent): Promise<{ readonly results: readonly unknown[] }>;
}

/** Ingress settings. Every default is in `INGRESS_DEFAULTS`. */
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
}

/** Defaults: 1 MiB bodies, batches of up to 100 events, no origin allowed cross-site. */
export const INGRESS_DEFAULTS = Object.freeze({ maxBodyBytes: 1024 * 1024, maxBatch: 100, allowedOrigins: Object.freeze([]) as readonly string[] });

/**
 * The event ingress: `POST /events` takes one CloudEvents-style JSON envelope or an array of
 * them (or one binary-mode event, see `cloudevents-http.ts`) and answers with every plugin's
 * result and the follow-ups' (see docs/runtime.md); `GET /health` says whether the host is up.
 * Browsers' cross-site requests and, on a loopback listener, non-loopback `Host`s are refused
 * (`request-origin.ts`). Errors answer `{ code, message, requestId }`; internals go only to the log.
 */
export class IngressServer extends HttpService {
  readonly #options: IngressOptions;

  constructor(options: IngressOptions) {
    super();
    this.#options = options;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const path = (req.url ?? '/').split('?')[0];
    try {
      const refused = crossSiteReason(req, { loopback: this.loopback, allowedOrigins: this.#options.allowedOrigins ?? INGRESS_DEFAULTS.allowedOrigins });
      if (refused !== null) throw new LnError('LN_ERR_EVENT_CROSS_SITE', { reason: refused });
      if (req.method === 'GET' && path === '/health') {
        send(res, 200, { status: 'ok', plugins: this.#options.plugins.names });
      } else if (req.method === 'POST' && path === '/events') {
        await this.#events(req, res, requestId);
      } else {
        throw new LnError('LN_ERR_EVENT_NOT_FOUND', { method: String(req.method), path: String(path).slice(0, 200) });
      }
    } catch (err) {
      sendError(res, err, this.#options.logger, requestId);
    }
  }

  async #events(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const mode = ingressMode(req.headers);
    const limit = this.#options.maxBodyBytes ?? INGRESS_DEFAULTS.maxBodyBytes;
    const body = await readBody(req, limit, () => new LnError('LN_ERR_EVENT_TOO_LARGE', { limit }));
    const { events, batch } = mode === 'binary' ? { events: [binaryEvent(req.headers, body)], batch: false } : this.#jsonEvents(body);
    if (!batch) {
      send(res, 200, await this.#route(events[0]!, requestId));
      return;
    }
    const results = [];
    for (const event of events) results.push(await this.#route(event, undefined));
    send(res, 200, { requestId, events: results });
  }

  /** One event's part of the answer (with the request id first for a single event): its id, what routing it did, the pipeline runs it started. */
  async #route(event: PluginEvent, requestId: string | undefined): Promise<object> {
    const pipelines = this.#options.pipelines;
    const runs = pipelines ? pipelines.start(event) : undefined;
    const routed = await this.#options.plugins.dispatch(event);
    const head = requestId === undefined ? { id: event.id } : { requestId, id: event.id };
    return runs ? { ...head, ...routed, pipelines: runs } : { ...head, ...routed };
  }

  /** The events of a structured or batch body: JSON within the depth limit, each envelope validated. */
  #jsonEvents(body: Buffer): { events: PluginEvent[]; batch: boolean } {
    const parsed = parseJson(body.toString('utf8'), (why) => why.kind === 'tooDeep'
      ? new LnError('LN_ERR_EVENT_TOO_DEEP', { limit: why.limit })
      : new LnError('LN_ERR_EVENT_INVALID', { reason: 'the body is not valid JSON' }));
    const batch = Array.isArray(parsed);
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
