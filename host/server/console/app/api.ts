/**
 * The console's only door to the host: every call is an authenticated `/v1` admin request with
 * `Authorization: Bearer <token>`. The token lives in `sessionStorage` (gone with the tab), never
 * in a URL. A 401 from any call forgets it and shows the login page.
 */
import type { AdminAnswers, ErrorAnswer } from '../../api-types.js';

const TOKEN_KEY = 'lnano.adminToken';

/** A coded error from the admin API (`{ code, message, details }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Listener = () => void;
const listeners = new Set<Listener>();

/** The session: the token, and who to tell when it changes. */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    for (const l of listeners) l();
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const l of listeners) l();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = session.token;
  if (!token) throw new ApiError(401, 'LN_ERR_ADMIN_UNAUTHORIZED', 'Not logged in');
  return { authorization: `Bearer ${token}`, 'x-lnano-actor': 'console', ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  if (res.status === 401) session.clear();
  const body = (await res.json().catch(() => ({}))) as Partial<ErrorAnswer>;
  return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText, body.details);
}

/** One JSON request to `/v1<path>`; throws `ApiError` for a coded answer. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }), cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const res = await fetch(`/v1${path}`, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/**
 * A JSON request to `/v1<path>` that answers NDJSON (`Accept: application/x-ndjson`): `onLine`
 * gets each line but the last as it comes; the last line is the answer, or (with a `code`) the
 * coded error it throws.
 */
export async function apiLines<T>(method: 'POST', path: string, body: unknown, onLine: (line: Record<string, unknown>) => void): Promise<T> {
  const res = await fetch(`/v1${path}`, {
    method,
    headers: headers({ 'content-type': 'application/json', accept: 'application/x-ndjson' }),
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last: Record<string, unknown> | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (!text) continue;
      if (last) onLine(last);
      last = JSON.parse(text) as Record<string, unknown>;
    }
    if (done) break;
  }
  if (buffer.trim()) {
    if (last) onLine(last);
    last = JSON.parse(buffer) as Record<string, unknown>;
  }
  if (!last) throw new ApiError(res.status, `HTTP_${res.status}`, 'The host answered nothing');
  if (typeof last.code === 'string' && typeof last.message === 'string') throw new ApiError(500, last.code, last.message, last.details);
  return last as T;
}

/** Uploads component bytes (`PUT /v1/artifacts`), content-addressed. */
export async function uploadArtifact(bytes: ArrayBuffer): Promise<AdminAnswers['PUT /v1/artifacts']> {
  const res = await fetch('/v1/artifacts', { method: 'PUT', headers: headers({ 'content-type': 'application/wasm' }), body: bytes, cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as AdminAnswers['PUT /v1/artifacts'];
}

/** Checks a token without keeping it: true when the host accepts it. */
export async function checkToken(token: string): Promise<boolean> {
  const res = await fetch('/v1/health', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  return res.ok;
}

/** One server-sent event. */
export interface SseMessage {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` at `/v1<path>` with `fetch` and a stream reader (an `EventSource`
 * cannot send the token) until `signal` aborts or the stream ends; comments (heartbeats) are skipped.
 */
export async function readEventStream(path: string, signal: AbortSignal, onMessage: (m: SseMessage) => void, lastEventId?: string): Promise<void> {
  const res = await fetch(`/v1${path}`, {
    headers: headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }),
    signal,
    cache: 'no-store',
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = text;
        else if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length > 0) onMessage({ id, event, data: data.join('\n') });
    }
  }
}
