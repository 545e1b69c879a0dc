/**
 * Serves the routes of `wasi:http/proxy` components on the ingress listener (Spin-style): the
 * ingress hands every request to `serve` first; a request whose path matches a route is answered
 * here, straight from Node's request and response (no body parser, the body streams), and every
 * other request goes on to the ingress's own routes. Each served request becomes an entry of the
 * diagnostics timeline (event id: the request id; type `http.request`; source: the path). See
 * docs/http-routes.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toLnError } from '../../errors/ln-error.js';
import type { Logger } from '../../log/logger.js';
import type { TimelineInput } from '../../observability/diagnostics-timeline.js';
import type { IncomingHttpCall } from '../../sandbox/incoming-http-types.js';
import type { HttpCallOutcome } from '../../versions/live-version.js';
import { serveExchange } from './route-exchange.js';
import { type RouteSource, RouteTable } from './route-table.js';

/** What serves the routes: their table and the call (the version manager). */
export interface HttpRouteHost extends RouteSource {
  serveHttp(name: string, http: IncomingHttpCall): Promise<HttpCallOutcome>;
}

export class RouteServer {
  readonly #table: RouteTable;
  readonly #host: HttpRouteHost;
  readonly #log: Logger;
  readonly #timeline: { record(input: TimelineInput): unknown } | undefined;

  /** @param timeline - where each served request is recorded (the event runtime's timeline) */
  constructor(host: HttpRouteHost, logger: Logger, timeline?: { record(input: TimelineInput): unknown }) {
    this.#host = host;
    this.#table = new RouteTable(host);
    this.#log = logger;
    this.#timeline = timeline;
  }

  /**
   * Answers the request when a route matches it, and returns the route (`/echo/...`); otherwise
   * returns null and touches nothing.
   */
  serve(req: IncomingMessage, res: ServerResponse, requestId: string): string | null {
    const match = this.#table.match(req.url ?? '/');
    if (!match) return null;
    const host = this.#host;
    const started = performance.now();
    const target = {
      name: match.name,
      serve: (http: IncomingHttpCall): Promise<HttpCallOutcome> =>
        host
          .serveHttp(match.name, http)
          .catch((err: unknown): HttpCallOutcome => ({ ok: false, error: toLnError(err) }))
          .then((outcome) => {
            this.#record(match.name, requestId, http, outcome, performance.now() - started);
            return outcome;
          }),
    };
    serveExchange(req, res, target, match.limits, requestId).catch((err: unknown) => {
      this.#log.error({ err: toLnError(err), requestId, component: match.name }, 'route exchange failed');
      res.destroy();
    });
    return match.route;
  }

  #record(name: string, requestId: string, http: IncomingHttpCall, outcome: HttpCallOutcome, durationMs: number): void {
    if (!this.#timeline) return;
    const usage = outcome.ok ? outcome.usage : undefined;
    const base = {
      eventId: requestId,
      eventType: 'http.request',
      source: `${http.method} ${http.pathWithQuery.split('?', 1)[0]!.slice(0, 200)}`,
      plugin: name,
      version: outcome.version ?? '',
    };
    const receipt = usage ? { fuelUsed: usage.fuelUsed, peakMemoryBytes: usage.peakMemoryBytes } : null;
    this.#timeline.record(
      outcome.ok
        ? { ...base, status: 'ok', durationMs, usage: receipt, depth: 0 }
        : { ...base, status: 'error', code: outcome.error.code, durationMs, usage: receipt, depth: 0 },
    );
  }
}
