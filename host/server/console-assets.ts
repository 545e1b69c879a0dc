/**
 * The web console's static files (built by `scripts/build-console.mjs` into `dist/console/`),
 * served by the admin listener without a token: they hold no data. Every data request the
 * console makes is an authenticated `/v1` call. Files are read once, at start; a name not in
 * that set is a 404, so no request path ever reaches the file system.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console is served: `/console/`; `/` redirects there. */
export const CONSOLE_PREFIX = '/console/';

/** Where `npm run build` puts the console, next to the compiled host (`dist/console/`). */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * Headers on every console file: no inline script or style, nothing from elsewhere, never framed,
 * no referrer, no MIME sniffing.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
});

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The console's files, in memory; `handle` answers the requests that are theirs. */
export class ConsoleAssets {
  readonly #files: ReadonlyMap<string, Asset>;

  constructor(files: ReadonlyMap<string, Asset>) {
    this.#files = files;
  }

  /** Reads every file of `dir` (flat; sub-folders are ignored). An absent folder gives an empty console. */
  static load(dir: string = CONSOLE_DIST_DIR): ConsoleAssets {
    const files = new Map<string, Asset>();
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Not built (`npm run build` builds it): the API still serves; `/console/` answers 404.
    }
    for (const name of names) {
      const path = join(dir, name);
      const type = TYPES[extname(name)];
      if (type && statSync(path).isFile()) files.set(name, { body: readFileSync(path), type });
    }
    return new ConsoleAssets(files);
  }

  /** Whether the console was built (has its page). */
  get available(): boolean {
    return this.#files.has('index.html');
  }

  /**
   * Answers `GET`/`HEAD` of `/` and `/console/...`; returns false for every other request (which
   * then needs the token like any admin route).
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') {
      res.writeHead(302, { ...CONSOLE_SECURITY_HEADERS, location: CONSOLE_PREFIX, 'content-length': '0' });
      res.end();
      return true;
    }
    if (!path.startsWith(CONSOLE_PREFIX)) return false;
    const name = path.slice(CONSOLE_PREFIX.length) || 'index.html';
    const asset = this.#files.get(name);
    if (!asset) {
      const text = this.available ? 'Not found\n' : 'The console is not built: run npm run build\n';
      res.writeHead(404, { ...CONSOLE_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      res.end(req.method === 'HEAD' ? undefined : text);
      return true;
    }
    res.writeHead(200, {
      ...CONSOLE_SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': String(asset.body.length),
      // Revalidated every time: a rebuilt console is picked up after a restart.
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}
