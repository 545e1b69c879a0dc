/**
 * The admin API's HTTP server, on fastify: a rebound `Host` is refused first; then the public
 * requests (the console's static files) are answered; every other request needs the same-site
 * rule and the bearer token, unknown routes included (404 and 405 only after the token). Bodies
 * are read up to the route's limit (uploads: `maxUploadBytes`, everything else `maxJsonBytes`);
 * a route with a zod `body` takes `application/json` only, nested within the depth limit
 * (checked before parsing), validated before its handler runs. What the routes do is given by
 * the caller (the version manager wires them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { parseJson } from '../support/json-depth.js';
import { authorized } from './admin-token.js';
import { type HttpErrors, HttpService, REQUEST_ID_HEADER, sendError } from './http-service.js';
import { crossSiteReason, reboundHostReason } from './request-origin.js';
import { checkBody, zodValidatorCompiler } from './zod-validator.js';

/** One admin request, as a route handler sees it. */
export interface AdminRequest<B = unknown> {
  readonly method: string;
  readonly path: string;
  /** Values of the route's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request's id: its sane `X-Request-Id`, else generated; sent back on the answer. */
  readonly requestId: string;
  /** Who made it, for the audit trail (`X-Lnano-Actor`, else `admin`). */
  readonly actor: string;
  /** The body validated by the route's `body` schema (`undefined` for routes without one). */
  readonly body: B;
  /** The body as JSON validated by `schema` (`LN_ERR_ADMIN_BAD_REQUEST` naming the field otherwise), for routes that declare none. */
  json<T>(schema: z.ZodType<T>): T;
  /** The raw body (up to the route's limit; empty when none was sent, and for a route with a schema: read `body`). */
  bytes(): Buffer;
  /**
   * Takes the response over, for a stream (NDJSON, server-sent events): the handler writes the
   * head and the body and ends it, then returns nothing. `X-Request-Id` is already set on it.
   */
  stream(): ServerResponse;
  readonly raw: IncomingMessage;
}

/** A handler's answer: JSON with a status, text with its type, or nothing after `stream()`. */
export type AdminAnswer =
  | { readonly status?: number; readonly body: unknown }
  | { readonly status?: number; readonly text: string; readonly contentType: string }
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that streams returns nothing (`void`), as its function type says
  | void;

/** A route: `GET /v1/components/:name`. */
export interface AdminRoute<B = unknown> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /**
   * What the body is: a zod schema (JSON, validated before the handler, `req.body` is the
   * result), or `bytes` (an upload, up to `maxUploadBytes`). None: up to `maxJsonBytes`, read
   * with `req.json(schema)` or `req.bytes()`.
   */
  readonly body?: z.ZodType<B> | 'bytes';
  // A method, not a property: a route of any body type is an `AdminRoute` (parameter bivariance).
  handler(req: AdminRequest<B>): Promise<AdminAnswer> | AdminAnswer;
}

/** A route with its body type inferred from its schema (`defineRoute({ body: schema, handler })`). */
export function defineRoute<B>(route: AdminRoute<B>): AdminRoute<B> {
  return route;
}

/** Admin server settings. Every default is in `ADMIN_DEFAULTS`. */
export interface AdminServerOptions {
  readonly token: string;
  readonly routes: readonly AdminRoute[];
  readonly logger: Logger;
  /** Largest JSON body (and body of a route that declares none), bytes. */
  readonly maxJsonBytes?: number;
  /** Largest upload (a route with `body: 'bytes'`: component bytes), bytes. */
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

const EMPTY = Buffer.alloc(0);

/** The JSON of a body: `application/json`, within the depth limit (checked before the value is used). */
function jsonOf(request: FastifyRequest): unknown {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) {
    throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: `send the body as application/json (got ${type.slice(0, 60) || 'no content-type'})` });
  }
  const bytes = (request.body as Buffer | undefined) ?? EMPTY;
  return parseJson(bytes.toString('utf8'), (why) =>
    why.kind === 'tooDeep'
      ? new LnError('LN_ERR_ADMIN_TOO_DEEP', { limit: why.limit })
      : new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: 'the body is not valid JSON' }),
  );
}

/** The admin API's coded errors for what fastify refuses itself (the metrics listener answers with them too). */
export const ADMIN_ERRORS: HttpErrors = {
  notFound: (method, path) => new LnError('LN_ERR_ADMIN_NOT_FOUND', { method, path }),
  methodNotAllowed: (method, path, allowed) => new LnError('LN_ERR_ADMIN_METHOD_NOT_ALLOWED', { method, path, allowed: allowed.join(', ') }),
  tooLarge: (limit) => new LnError('LN_ERR_ADMIN_TOO_LARGE', { limit }),
  badRequest: (reason) => new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason }),
};

export class AdminServer extends HttpService {
  readonly #options: AdminServerOptions;

  constructor(options: AdminServerOptions) {
    super({
      logger: options.logger,
      name: 'admin API',
      errors: ADMIN_ERRORS,
    });
    this.#options = options;
    const maxJson = options.maxJsonBytes ?? ADMIN_DEFAULTS.maxJsonBytes;
    const maxUpload = options.maxUploadBytes ?? ADMIN_DEFAULTS.maxUploadBytes;
    // Every body is read as bytes under the route's limit; JSON is parsed per route (depth first).
    this.app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    this.app.setValidatorCompiler(zodValidatorCompiler);
    const methods = new Map<string, string[]>();
    for (const route of options.routes) {
      const schema = typeof route.body === 'object' ? route.body : undefined;
      this.app.route({
        method: route.method,
        url: route.path,
        bodyLimit: route.body === 'bytes' ? maxUpload : maxJson,
        ...(schema
          ? {
              schema: { body: schema },
              preValidation: (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
                request.body = jsonOf(request);
                done();
              },
            }
          : {}),
        handler: (request, reply) => this.#handle(route, request, reply),
      });
      methods.set(route.path, [...(methods.get(route.path) ?? []), route.method]);
    }
    for (const [path, allowed] of methods) this.refuseOtherMethods(path, allowed);
  }

  protected admit(request: FastifyRequest, reply: FastifyReply): void {
    // A rebound Host is refused before anything, the console's files included; other sites'
    // pages may still link to the console (a navigation), but not call the API.
    const rebound = reboundHostReason(request.raw, this.loopback);
    if (rebound !== null) throw new LnError('LN_ERR_ADMIN_CROSS_SITE', { reason: rebound });
    const publicHandler = this.#options.publicHandler;
    if (publicHandler) {
      reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
      if (publicHandler(request.raw, reply.raw)) {
        reply.hijack();
        return;
      }
    }
    const refused = crossSiteReason(request.raw, { loopback: this.loopback, allowedOrigins: NO_ORIGINS });
    if (refused !== null) throw new LnError('LN_ERR_ADMIN_CROSS_SITE', { reason: refused });
    if (!authorized(request.headers.authorization, this.#options.token)) throw new LnError('LN_ERR_ADMIN_UNAUTHORIZED', {});
  }

  async #handle(route: AdminRoute, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    let answer: AdminAnswer;
    try {
      answer = await route.handler(this.#request(request, reply));
    } catch (err) {
      if (!reply.sent) throw err;
      // A stream that failed after its head went out: logged, and the connection is cut.
      sendError(request, reply, err);
      return reply;
    }
    if (reply.sent) return reply;
    if (!answer) return reply.code(204).send();
    if ('text' in answer)
      return reply
        .code(answer.status ?? 200)
        .type(answer.contentType)
        .send(answer.text);
    return reply.code(answer.status ?? 200).send(answer.body);
  }

  #request(request: FastifyRequest, reply: FastifyReply): AdminRequest {
    const actorHeader = request.headers['x-lnano-actor'];
    const actor = typeof actorHeader === 'string' && /^[\w.@:-]{1,64}$/.test(actorHeader) ? actorHeader : 'admin';
    const [path, query = ''] = request.url.split('?', 2) as [string, string?];
    const validated = request.routeOptions.schema?.body !== undefined;
    return {
      method: request.method,
      path,
      params: request.params as Record<string, string>,
      query: new URLSearchParams(query),
      requestId: request.id,
      actor,
      raw: request.raw,
      body: validated ? request.body : undefined,
      json: <T>(schema: z.ZodType<T>): T => checkBody(schema, jsonOf(request)),
      bytes: () => (validated ? EMPTY : ((request.body as Buffer | undefined) ?? EMPTY)),
      stream: () => {
        reply.hijack();
        reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
        return reply.raw;
      },
    };
  }
}
