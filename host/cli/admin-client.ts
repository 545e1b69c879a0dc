/**
 * The CLI's client of a running host's admin API: where the host is (`--server`, else
 * `LNANO_SERVER`, else the local default), its token (`token-lookup.ts`: `--token`, else
 * `LNANO_ADMIN_TOKEN`, else the token file of the named or nearest data dir), and requests whose
 * coded errors come back as the same `LnError` the host raised.
 */
import { LnError } from '../errors/ln-error.js';
import { findAdminToken } from './token-lookup.js';

/** Where `lnano serve` puts its admin API unless told otherwise. */
export const DEFAULT_ADMIN_SERVER = 'http://127.0.0.1:8081';

/** The flags every admin command takes. */
export const ADMIN_CLIENT_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface AdminClientFlags {
  server?: string;
  token?: string;
  'data-dir'?: string;
  json?: boolean;
}

/** Help lines for those flags. */
export const ADMIN_CLIENT_HELP = `  --server <url>      the host's admin API (default: LNANO_SERVER, else ${DEFAULT_ADMIN_SERVER})
  --token <token>     admin token (default: LNANO_ADMIN_TOKEN, else <data-dir>/admin-token)
  --data-dir <dir>    where to find the token of a local host (default: LNANO_DATA_DIR, else
                      the nearest .lnano folder from here up)
  --json              machine-readable output`;

/** Errors of the socket that mean the host was reached and then stopped answering. */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export class AdminClient {
  readonly server: string;
  readonly #token: string;
  /** Where the token came from, named when the host refuses it. */
  readonly tokenSource: string;

  constructor(server: string, token: string, tokenSource = 'the caller') {
    this.server = server.replace(/\/+$/, '');
    this.#token = token;
    this.tokenSource = tokenSource;
  }

  /**
   * Resolves the server and token from flags, environment and the local data dir.
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` for a malformed server URL, `LN_ERR_ADMIN_TOKEN_MISSING`
   *   when no token can be found
   */
  static fromFlags(flags: AdminClientFlags, io: { readonly env: NodeJS.ProcessEnv; readonly cwd: string }): AdminClient {
    const server = flags.server ?? io.env.LNANO_SERVER ?? DEFAULT_ADMIN_SERVER;
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new LnError('LN_ERR_CONFIG_INVALID', {
        key: '--server',
        source: flags.server ? 'command line' : 'LNANO_SERVER',
        reason: `"${server}" is not a URL such as ${DEFAULT_ADMIN_SERVER}`,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new LnError('LN_ERR_CONFIG_INVALID', { key: '--server', source: 'command line', reason: `"${server}" must be an http(s) URL` });
    }
    const { token, source } = findAdminToken(flags, io, url.href.replace(/\/+$/, ''));
    return new AdminClient(url.href, token, source);
  }

  /**
   * One request. JSON bodies are sent as JSON, bytes as `application/wasm`.
   *
   * @throws LnError the host's coded error, `LN_ERR_ADMIN_UNREACHABLE`, `LN_ERR_ADMIN_CONNECTION_LOST`
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body);
    const text = await this.#reading(method, path, () => res.text());
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : undefined;
    } catch {
      throw new LnError('LN_ERR_ADMIN_UNREACHABLE', { server: this.server, reason: `answered ${res.status} with something that is not JSON` });
    }
    if (!res.ok) throw this.#errorFrom(value, res.status);
    return value as T;
  }

  /**
   * A request answered with NDJSON progress lines; `onLine` gets each one, the last is returned.
   *
   * @throws LnError the host's coded error (also one sent as the last line), `LN_ERR_ADMIN_UNREACHABLE`,
   *   `LN_ERR_ADMIN_CONNECTION_LOST` when the host goes away before the last line
   */
  async stream<T>(method: string, path: string, body: unknown, onLine: (line: Record<string, unknown>) => void): Promise<T> {
    const res = await this.#fetch(method, path, body, 'application/x-ndjson');
    if (!res.ok || !res.body) throw this.#errorFrom(await res.json().catch(() => undefined), res.status);
    let last: Record<string, unknown> | undefined;
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of this.#chunks(method, path, res)) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        last = JSON.parse(line) as Record<string, unknown>;
        // Progress lines name a step; the last line is the result (or a coded error).
        if (typeof last.step === 'string' && last.code === undefined) onLine(last);
      }
    }
    if (pending.trim()) last = JSON.parse(pending) as Record<string, unknown>;
    if (!last) throw new LnError('LN_ERR_ADMIN_UNREACHABLE', { server: this.server, reason: 'the answer ended without a result' });
    if (typeof last.code === 'string') throw this.#errorFrom(last, 500);
    return last as T;
  }

  /**
   * Follows an NDJSON stream (`GET`), calling `onLine` for each line until the host ends it.
   *
   * @throws LnError the host's coded error, `LN_ERR_ADMIN_UNREACHABLE`, `LN_ERR_ADMIN_CONNECTION_LOST`
   */
  async follow(path: string, onLine: (line: Record<string, unknown>) => void): Promise<void> {
    const res = await this.#fetch('GET', path, undefined, 'application/x-ndjson');
    if (!res.ok || !res.body) throw this.#errorFrom(await res.json().catch(() => undefined), res.status);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of this.#chunks('GET', path, res)) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) onLine(JSON.parse(line) as Record<string, unknown>);
    }
  }

  /**
   * Follows a Server-Sent Events stream (`GET`), calling `onEvent` with each event's `id`, `event`
   * and `data` (comment lines such as heartbeats are skipped) until the host ends it.
   *
   * @throws LnError the host's coded error, `LN_ERR_ADMIN_UNREACHABLE`, `LN_ERR_ADMIN_CONNECTION_LOST`
   */
  async events(path: string, onEvent: (event: { id?: string; event?: string; data: string }) => void): Promise<void> {
    const res = await this.#fetch('GET', path, undefined, 'text/event-stream');
    if (!res.ok || !res.body) throw this.#errorFrom(await res.json().catch(() => undefined), res.status);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of this.#chunks('GET', path, res)) {
      pending += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
      const blocks = pending.split('\n\n');
      pending = blocks.pop() ?? '';
      for (const block of blocks) {
        const fields: { id?: string; event?: string; data?: string } = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line) continue;
          const at = line.indexOf(':');
          const key = at === -1 ? line : line.slice(0, at);
          const value = at === -1 ? '' : line.slice(at + 1).replace(/^ /, '');
          if (key === 'data') fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
          else if (key === 'id' || key === 'event') fields[key] = value;
        }
        if (fields.data !== undefined) onEvent({ ...fields, data: fields.data });
      }
    }
  }

  async #fetch(method: string, path: string, body: unknown, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept };
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/wasm';
      payload = body as Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await fetch(`${this.server}${path}`, { method, headers, body: payload });
    } catch (err) {
      const lost = this.#lost(method, path, err);
      if (lost) throw lost;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new LnError('LN_ERR_ADMIN_UNREACHABLE', { server: this.server, reason: cause?.code ?? cause?.message ?? (err as Error).message }, { cause: err });
    }
  }

  /** The body's chunks; the host going away mid-answer is `LN_ERR_ADMIN_CONNECTION_LOST`. */
  async *#chunks(method: string, path: string, res: Response): AsyncGenerator<Uint8Array> {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await this.#reading(method, path, () => reader.read());
      if (done) return;
      yield value;
    }
  }

  /** Runs one read of an answer, turning a dropped connection into `LN_ERR_ADMIN_CONNECTION_LOST`. */
  async #reading<T>(method: string, path: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw this.#lost(method, path, err) ?? err;
    }
  }

  /** `LN_ERR_ADMIN_CONNECTION_LOST` when `err` is undici's report of a dropped connection. */
  #lost(method: string, path: string, err: unknown): LnError | undefined {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const dropped = (cause?.code !== undefined && LOST.has(cause.code)) || (err as Error).message === 'terminated';
    if (!dropped) return undefined;
    const reason = cause?.message ? `${cause.message}${cause.code ? ` (${cause.code})` : ''}` : (err as Error).message;
    return new LnError('LN_ERR_ADMIN_CONNECTION_LOST', { server: this.server, request: `${method} ${path}`, reason }, { cause: err });
  }

  /** The coded error of a failed answer; the host refusing the token names where it came from. */
  #errorFrom(value: unknown, status: number): LnError {
    if (value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string') {
      const error = LnError.fromJSON(value);
      if (error.code === 'LN_ERR_ADMIN_UNAUTHORIZED') {
        return new LnError('LN_ERR_ADMIN_TOKEN_REJECTED', { server: this.server, source: this.tokenSource }, { cause: error });
      }
      if (error.code !== 'LN_ERR_INTERNAL_UNEXPECTED' || (value as { code: string }).code === 'LN_ERR_INTERNAL_UNEXPECTED') return error;
    }
    return new LnError('LN_ERR_ADMIN_UNREACHABLE', { server: this.server, reason: `answered HTTP ${status} without a coded error` });
  }
}
