/**
 * Serves the routes of `wasi:http/proxy` components on the ingress listener (Spin-style): the
 * ingress hands every request to `serve` first; a request whose path matches a route is answered
 * here, straight from Node's request and response (no body parser, the body streams), and every
 * other request goes on to the ingress's own routes. See docs/http-routes.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toLnError } from '../../errors/ln-error.js';
import type { Logger } from '../../log/logger.js';
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

  constructor(host: HttpRouteHost, logger: Logger) {
    this.#host = host;
    this.#table = new RouteTable(host);
    this.#log = logger;
  }

  /**
   * Answers the request when a route matches it (and returns true); otherwise returns false and
   * touches nothing.
   */
  serve(req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    const match = this.#table.match(req.url ?? '/');
    if (!match) return false;
    const host = this.#host;
    const target = {
      name: match.name,
      serve: (http: IncomingHttpCall): Promise<HttpCallOutcome> =>
        host.serveHttp(match.name, http).catch((err: unknown) => ({ ok: false as const, error: toLnError(err) })),
    };
    serveExchange(req, res, target, match.limits, requestId).catch((err: unknown) => {
      this.#log.error({ err: toLnError(err), requestId, component: match.name }, 'route exchange failed');
      res.destroy();
    });
    return true;
  }
}
