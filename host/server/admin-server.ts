/**
 * The admin API's HTTP server: bearer-token auth on every route, a small router over
 * `/v1/...` paths with `:param` segments, bounded JSON and upload bodies, and coded errors.
 * What the routes do is given by the caller (the version manager wires them).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { parseJson } from '../support/json-depth.js';
import { describeIssues } from '../support/schema.js';
import { authorized } from './admin-token.js';
import { HttpService, readBody, sendError, sendJson } from './http-io.js';
import { crossSiteReason, reboundHostReason } from './request-origin.js';

/** One admin request, as a route handler sees it. */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  /** Values of the route's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly requestId: string;
  /** Who made it, for the audit trail (`X-Lnano-Actor`, else `admin`). */
  readonly actor: string;
  /** The body as JSON validated by `schema` (`LN_ERR_ADMIN_BAD_REQUEST` naming the field otherwise). */
  json<T>(schema: z.ZodType<T>): Promise<T>;
  /** The raw body, up to the upload limit. */
  bytes(): Promise<Buffer>;
  readonly raw: IncomingMessage;
}

/** A handler's answer: JSON with a status, or nothing when it wrote the response itself. */
export type AdminAnswer = { readonly status?: number; readonly body: unknown } | { readonly status?: number; readonly text: string; readonly contentType: string } | void;

export type AdminHandler = (req: AdminRequest, res: ServerResponse) => Promise<AdminAnswer> | AdminAnswer;

/** A route: `GET /v1/components/:name`. */
export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly handler: AdminHandler;
}

/** Admin server settings. Every default is in `ADMIN_DEFAULTS`. */
export interface AdminServerOptions {
  readonly token: string;
  readonly routes: readonly AdminRoute[];
  readonly logger: Logger;
  /** Largest JSON body, bytes. */
  readonly maxJsonBytes?: number;
  /** Largest upload (component bytes), bytes. */
  readonly maxUploadBytes?: number;
  /**
   * Answers the requests that need no token (the console's static files, which hold no data) and
   * returns true; false sends the request on to the token check and the routes.
   */
  readonly publicHandler?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Defaults: JSON bodies up to 1 MiB, uploads up to 64 MiB. */
export const ADMIN_DEFAULTS = Object.freeze({ maxJsonBytes: 1024 * 1024, maxUploadBytes: 64 * 1024 * 1024 });

/** The admin API allows no other site's pages (its console is same-origin). */
const NO_ORIGINS: readonly string[] = Object.freeze([]);

interface CompiledRoute {
  readonly route: AdminRoute;
  readonly pattern: RegExp;
  readonly names: string[];
}

function compile(route: AdminRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.split('/').map((part) => {
    if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(part.slice(1));
    return '([^/]+)';
  }).join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** The request's URL; a target `new URL` refuses is a bad request, not a crash. */
function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://admin');
  } catch {
    throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: 'the request target is not a valid URL path' });
  }
}

/** A `:param` path segment, URL-decoded; a malformed escape (`%ZZ`) is a bad request (found by test/fuzz). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: `the path segment "${segment.slice(0, 80)}" has a malformed %-escape` });
  }
}

export class AdminServer extends HttpService {
  readonly #options: AdminServerOptions;
  readonly #routes: CompiledRoute[];

  constructor(options: AdminServerOptions) {
    super();
    this.#options = options;
    this.#routes = options.routes.map(compile);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      // A rebound Host is refused before anything, the console's files included; other sites'
      // pages may still link to the console (a navigation), but not call the API.
      const rebound = reboundHostReason(req, this.loopback);
      if (rebound !== null) throw new LnError('LN_ERR_ADMIN_CROSS_SITE', { reason: rebound });
      if (this.#options.publicHandler?.(req, res)) return;
      const refused = crossSiteReason(req, { loopback: this.loopback, allowedOrigins: NO_ORIGINS });
      if (refused !== null) throw new LnError('LN_ERR_ADMIN_CROSS_SITE', { reason: refused });
      if (!authorized(req.headers.authorization, this.#options.token)) {
        throw new LnError('LN_ERR_ADMIN_UNAUTHORIZED', {});
      }
      const url = requestUrl(req.url);
      const method = req.method ?? 'GET';
      let params: Record<string, string> | undefined;
      let found: CompiledRoute | undefined;
      let pathMatched = false;
      for (const compiled of this.#routes) {
        const match = compiled.pattern.exec(url.pathname);
        if (!match) continue;
        pathMatched = true;
        if (compiled.route.method !== method) continue;
        found = compiled;
        params = Object.fromEntries(compiled.names.map((n, i) => [n, decodeSegment(match[i + 1]!)]));
        break;
      }
      if (!found || !params) {
        const reason = pathMatched ? `${method} is not allowed on ${url.pathname}` : undefined;
        throw reason
          ? new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason })
          : new LnError('LN_ERR_ADMIN_NOT_FOUND', { method, path: url.pathname.slice(0, 200) });
      }
      const answer = await found.route.handler(this.#request(req, url, params, requestId), res);
      if (!answer) return;
      if ('text' in answer) {
        res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType, 'content-length': String(Buffer.byteLength(answer.text)) });
        res.end(answer.text);
      } else {
        sendJson(res, answer.status ?? 200, answer.body);
      }
    } catch (err) {
      sendError(res, err, this.#options.logger, requestId);
    }
  }

  #request(req: IncomingMessage, url: URL, params: Record<string, string>, requestId: string): AdminRequest {
    const maxJson = this.#options.maxJsonBytes ?? ADMIN_DEFAULTS.maxJsonBytes;
    const maxUpload = this.#options.maxUploadBytes ?? ADMIN_DEFAULTS.maxUploadBytes;
    const actorHeader = req.headers['x-lnano-actor'];
    const actor = typeof actorHeader === 'string' && /^[\w.@:-]{1,64}$/.test(actorHeader) ? actorHeader : 'admin';
    return {
      method: req.method ?? 'GET', path: url.pathname, params, query: url.searchParams, requestId, actor, raw: req,
      async json<T>(schema: z.ZodType<T>): Promise<T> {
        const type = String(req.headers['content-type'] ?? '');
        if (!/^application\/json\b/i.test(type)) {
          throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: `send the body as application/json (got ${type.slice(0, 60) || 'no content-type'})` });
        }
        const body = await readBody(req, maxJson, () => new LnError('LN_ERR_ADMIN_TOO_LARGE', { limit: maxJson }));
        const value = parseJson(body.toString('utf8'), (why) => why.kind === 'tooDeep'
          ? new LnError('LN_ERR_ADMIN_TOO_DEEP', { limit: why.limit })
          : new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: 'the body is not valid JSON' }));
        const parsed = schema.safeParse(value);
        if (!parsed.success) throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: describeIssues(parsed.error, '', { root: '(body)', max: 5 }) });
        return parsed.data;
      },
      bytes: () => readBody(req, maxUpload, () => new LnError('LN_ERR_ADMIN_TOO_LARGE', { limit: maxUpload })),
    };
  }
}
