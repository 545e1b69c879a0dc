/** A node:http client for route tests: whole answers, repeated headers and trailers included. */
import { type IncomingHttpHeaders, request } from 'node:http';

/** One HTTP exchange as node:http's client sees it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  trailers: NodeJS.Dict<string>;
}

/** Sends a request (`body` chunks, then `trailers` if any) and collects the whole answer. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer[]; trailers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.trailers) headers.trailer = Object.keys(options.trailers).join(', ');
    // A connection per request: a refusal that closes one never hits the next request.
    // The path goes out as written (a URL object would resolve `.`/`..` and `%2e` segments).
    const [, origin, path] = /^(https?:\/\/[^/]+)(\/.*)?$/.exec(url) ?? [];
    const { hostname, port } = new URL(origin ?? url);
    const req = request({ hostname, port, path: path ?? '/', method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), trailers: res.trailers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.body ?? []) req.write(chunk);
    if (options.trailers) req.addTrailers(options.trailers);
    req.end();
  });
}
