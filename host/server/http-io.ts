/**
 * Reading requests and writing JSON answers, shared by the ingress and the admin API: bodies are
 * read up to a limit (a larger one is refused without buffering it), errors answer
 * `{ code, message, requestId }` with the code's HTTP status, and internals go only to the log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toLnError, type LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { isLoopbackAddress } from './request-origin.js';

/** Writes a JSON answer (encoded once: the length and the body come from the same bytes). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const head = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) };
  res.writeHead(status, headers ? { ...head, ...headers } : head);
  res.end(bytes);
}

/**
 * Reads a request body of at most `limit` bytes.
 *
 * @param tooLarge - the error for a body over the limit (declared or streamed)
 */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => LnError): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answers with a coded error. Errors not shown to clients (and any 5xx) are logged whole; the
 * client sees the code, the message and details when it may, and the request id to quote.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger, requestId: string): void {
  const error = toLnError(err);
  if (!error.spec.expose || error.spec.status >= 500) logger.error({ err, requestId }, 'request failed');
  // Shown errors carry their details, so a client (the CLI) can rebuild the same coded error.
  const body = error.spec.expose
    ? { code: error.code, message: error.message, details: error.details, requestId }
    : { code: error.code, message: 'Internal error', requestId };
  if (!res.headersSent) sendJson(res, error.spec.status, body);
  else res.destroy();
}

/** Starts `server` listening; resolves with the bound address (port 0 picks a free port). */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

/** Stops accepting connections, ends idle keep-alive ones, and waits for open requests to finish. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** A `node:http` server answering with `handle`: listen (port 0 picks one) and a draining close. */
export abstract class HttpService {
  readonly #server: Server = createServer((req, res) => void this.handle(req, res));
  #loopback = true;

  /** Answers one request; must never throw (answer with `sendError` instead). */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** Whether the listener is bound to a loopback address (so requests must name a loopback `Host`). */
  protected get loopback(): boolean {
    return this.#loopback;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    const address = await listenOn(this.#server, port, host);
    this.#loopback = isLoopbackAddress(address.address);
    return address;
  }

  /** Stops accepting connections, ends idle ones, and waits for open requests to finish. */
  close(): Promise<void> {
    return closeServer(this.#server);
  }
}
