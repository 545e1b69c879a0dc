/**
 * Which component answers a request path: the routes of the serving `wasi:http/proxy`
 * components, rebuilt whenever what serves changes (the source's `revision()`). Routes never
 * overlap (deploys refuse that), so the first match is the only one.
 */
import { RoutePattern, routablePath } from '../../support/route-pattern.js';
import type { ExchangeLimits } from './route-exchange.js';

/** What serves routes (the version manager). */
export interface RouteSource {
  revision(): number;
  httpRoutes(): ReadonlyArray<{
    readonly name: string;
    readonly routes: readonly string[];
    readonly limits: { readonly maxPayloadBytes: number; readonly maxOutputBytes: number; readonly timeoutMs: number };
  }>;
}

/** A route that matched: the component's name and its exchange limits. */
export interface RouteMatch {
  readonly name: string;
  readonly route: string;
  readonly limits: ExchangeLimits;
}

export class RouteTable {
  readonly #source: RouteSource;
  #revision = -1;
  #entries: Array<{ pattern: RoutePattern; match: RouteMatch }> = [];

  constructor(source: RouteSource) {
    this.#source = source;
  }

  /** The route of `url` (path and query as sent), or undefined (including insane paths). */
  match(url: string): RouteMatch | undefined {
    this.#refresh();
    if (this.#entries.length === 0) return undefined;
    const path = routablePath(url);
    if (path === null) return undefined;
    for (const entry of this.#entries) if (entry.pattern.matches(path)) return entry.match;
    return undefined;
  }

  #refresh(): void {
    const revision = this.#source.revision();
    if (revision === this.#revision) return;
    this.#revision = revision;
    this.#entries = this.#source.httpRoutes().flatMap(({ name, routes, limits }) =>
      routes.map((route) => ({
        pattern: new RoutePattern(route),
        match: { name, route, limits: { maxRequestBytes: limits.maxPayloadBytes, maxResponseBytes: limits.maxOutputBytes, timeoutMs: limits.timeoutMs } },
      })),
    );
  }
}
