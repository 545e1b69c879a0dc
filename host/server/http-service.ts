/**
 * The HTTP layer the ingress and the admin API share, on fastify: the host's pino logger (no
 * per-request log lines; errors carry `requestId`), a request id in and out as `X-Request-Id`
 * (a sane incoming one is kept, else one is generated), coded error answers
 * `{ code, message, details?, requestId }` with the code's HTTP status (internals only to the log),
 * 405 with `Allow` for a known path asked with another method, and a listener whose close drains.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  fastify,
  type InjectOptions,
  type LightMyRequestResponse,
  LogController,
} from 'fastify';
import { isLnError, type LnError, toLnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { isLoopbackAddress } from './request-origin.js';
import { zodValidatorCompiler } from './zod-validator.js';

/** The header a request id comes in and goes out on. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept when it is this: 1 to 128 characters, no spaces, quotes or controls. */
const SANE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The request id of a request: its `X-Request-Id` when sane, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** How often a closing listener ends the keep-alive connections that became idle, ms. */
const CLOSE_IDLE_EVERY_MS = 25;

/** The methods a path refuses with 405 when it has routes for others (any other method: 404). */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
type Method = (typeof KNOWN_METHODS)[number];

/** How a service names its coded errors (the admin API and the ingress have their own codes). */
export interface HttpErrors {
  /** No route has this path. */
  notFound(method: string, path: string): LnError;
  /** The path has routes, not for this method (answered with 405 and `Allow`). */
  methodNotAllowed(method: string, path: string, allowed: readonly string[]): LnError;
  /** A body over the route's limit. */
  tooLarge(limit: number): LnError;
  /** A request fastify refused before any route ran (bad URL, bad Content-Length, aborted body). */
  badRequest(reason: string): LnError;
}

/** The JSON body of an error answer; `requestId` is what a user quotes to find the log line. */
export function errorBody(error: LnError, requestId: string): object {
  return error.spec.expose
    ? { code: error.code, message: error.message, details: error.details, requestId }
    : { code: error.code, message: 'Internal error', requestId };
}

/**
 * No JSON Schema compilers: route bodies are zod schemas (`zod-validator.ts`) and answers have no
 * response schemas, so fastify never loads ajv and its compilers (~95 modules, 4–5 MiB of RSS on
 * an edge box). fastify types the factories for ajv, hence the cast.
 */
const NO_JSON_SCHEMA_COMPILERS = {
  buildValidator: () => zodValidatorCompiler,
  buildSerializer: () => () => JSON.stringify,
} as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Answers with a coded error, with its code's status. Errors not shown to
 * clients, and any 5xx, are logged whole with the request id. After a stream began (a hijacked
 * reply) the connection is cut instead: the client sees a truncated stream.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
  const error = toLnError(err);
  if (!error.spec.expose || error.spec.status >= 500) request.log.error({ err, requestId: request.id }, 'request failed');
  if (reply.raw.headersSent || reply.sent) {
    reply.raw.destroy();
    return;
  }
  reply.code(error.spec.status).header(REQUEST_ID_HEADER, request.id).send(errorBody(error, request.id));
}

/** Turns what fastify throws on its own (its `FST_ERR_*` errors) into a coded error. */
function codedError(err: FastifyError, request: FastifyRequest, errors: HttpErrors): unknown {
  if (isLnError(err)) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errors.tooLarge(request.routeOptions.bodyLimit);
  if (err.code === 'FST_ERR_BAD_URL') return errors.badRequest(`the path "${request.url.slice(0, 80)}" has a malformed %-escape`);
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return errors.badRequest(err.message);
  return err;
}

/** Options of `HttpService`. */
export interface HttpServiceOptions {
  readonly logger: Logger;
  readonly errors: HttpErrors;
  /** Words for the listening log line: `ingress` or `admin API`. */
  readonly name: string;
}

/**
 * A fastify app with the shared behaviour above; subclasses add their routes (`route`) and
 * hooks in their constructor. `listen` then `close` (stops accepting, ends idle keep-alive
 * connections, waits for open requests: the zero-lost-requests drain).
 */
export abstract class HttpService {
  protected readonly app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;
  readonly #errors: HttpErrors;
  readonly #name: string;
  #loopback = true;

  constructor(options: HttpServiceOptions) {
    this.#errors = options.errors;
    this.#name = options.name;
    const errors = options.errors;
    this.app = fastify({
      loggerInstance: options.logger,
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
      // No child logger per request (its bindings cost CPU on every event): the few lines about a
      // request name its id themselves (`sendError`).
      childLoggerFactory: (logger) => logger,
      genReqId: (req) => requestIdOf(req.headers[REQUEST_ID_HEADER]),
      // Requests on open keep-alive connections while closing are still served (no 503s): the drain.
      return503OnClosing: false,
      // Node's default, as before fastify (whose default, 72 s, suits a load balancer in front).
      keepAliveTimeout: 5000,
      exposeHeadRoutes: false,
      // The old router took path segments of any length (a request line is bounded by Node anyway).
      routerOptions: { maxParamLength: 16 * 1024 },
      // Bodies are read as bytes and parsed by each service (JSON depth is checked before parsing).
      frameworkErrors: (err, request, reply) => sendError(request, reply, codedError(err, request, errors)),
      schemaController: { compilersFactory: NO_JSON_SCHEMA_COMPILERS },
    });
    this.app.removeAllContentTypeParsers();
    // Before any route (and the 404): the id goes out on every answer, then the service's checks.
    this.app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      this.admit(request, reply);
      done();
    });
    this.app.setErrorHandler((err: FastifyError, request, reply) => sendError(request, reply, codedError(err, request, errors)));
    this.app.setNotFoundHandler((request, reply) => sendError(request, reply, errors.notFound(request.method, request.url.split('?', 1)[0]!.slice(0, 200))));
  }

  /**
   * Runs before every route and the 404: throws a coded error to refuse the request (origin,
   * token), or answers it itself (`reply.hijack()`), or returns to let it through.
   */
  protected abstract admit(request: FastifyRequest, reply: FastifyReply): void;

  /** Whether the listener is bound to a loopback address (so requests must name a loopback `Host`). */
  protected get loopback(): boolean {
    return this.#loopback;
  }

  /**
   * Makes every other known method on `path` a 405 with `Allow: <methods>` (after the same
   * checks as the routes: the token on the admin API).
   */
  protected refuseOtherMethods(path: string, methods: readonly string[]): void {
    const allowed = [...new Set(methods)];
    const others = KNOWN_METHODS.filter((m: Method) => !allowed.includes(m));
    if (others.length === 0) return;
    const allow = allowed.join(', ');
    this.app.route({
      method: others,
      url: path,
      handler: (request, reply) => {
        reply.header('allow', allow);
        sendError(request, reply, this.#errors.methodNotAllowed(request.method, request.url.split('?', 1)[0]!.slice(0, 200), allowed));
      },
    });
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await this.app.listen({ port, host, listenTextResolver: (address) => `${this.#name} listening at ${address}` });
    const address = this.app.server.address() as AddressInfo;
    this.#loopback = isLoopbackAddress(address.address);
    return address;
  }

  /** Answers one request in memory, without a listener (tests; the Host is `localhost:80`). */
  inject(options: InjectOptions): Promise<LightMyRequestResponse> {
    return this.app.inject(options);
  }

  /**
   * Stops accepting connections, ends idle ones, and waits for open requests to finish; a
   * keep-alive connection is ended as soon as its request is answered (Node ends only the
   * connections idle when the close starts, the others after their keep-alive timeout).
   */
  async close(): Promise<void> {
    const server = this.app.server;
    const reaper = setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_EVERY_MS);
    try {
      await this.app.close();
    } finally {
      clearInterval(reaper);
    }
  }
}
