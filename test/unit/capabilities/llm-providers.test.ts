/**
 * The llm service against real servers on loopback speaking OpenAI's and Anthropic's protocols,
 * through the official SDK clients: completions and SSE streams from both, embeddings; retries on
 * 429 (honouring retry-after) and 500, fallback to the alias's next provider, the circuit breaker,
 * the call's deadline against a server that hangs; token budgets per call, minute and day; a
 * denied alias; and keys that never appear in an answer, even from a server that echoes them.
 */

import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLlmConfig } from '../../../host/capabilities/llm/llm-config.js';
import { LlmService } from '../../../host/capabilities/llm/llm-service.js';
import type { ChatRequest, LlmAnswer, LlmGrant } from '../../../host/capabilities/llm/llm-wire.js';
import { anthropicServer, type LlmTestServer, openAiServer } from '../../helpers/llm-servers.js';

const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-test-fedcba9876543210';

let openai: LlmTestServer;
let anthropic: LlmTestServer;
let service: LlmService | undefined;
let registry: Registry;

beforeEach(async () => {
  [openai, anthropic] = await Promise.all([openAiServer(), anthropicServer()]);
  registry = new Registry();
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  await Promise.all([openai.close(), anthropic.close()]);
});

async function open(extra: Record<string, unknown> = {}): Promise<LlmService> {
  const config = parseLlmConfig(
    {
      providers: {
        primary: { type: 'openai', baseUrl: openai.url, apiKeyEnv: 'TEST_OPENAI_KEY' },
        backup: { type: 'anthropic', baseUrl: anthropic.url, apiKey: ANTHROPIC_KEY },
      },
      aliases: {
        fast: [
          { provider: 'primary', model: 'gpt-test' },
          { provider: 'backup', model: 'claude-test' },
        ],
        claude: [{ provider: 'backup', model: 'claude-test' }],
        solo: [{ provider: 'primary', model: 'gpt-test' }],
      },
      retry: { attempts: 3, baseDelay: '5ms', maxDelay: '2s' },
      breaker: { failures: 3, cooldown: '600s' },
      ...extra,
    },
    'test',
    '/',
  );
  service = await LlmService.open({ config, env: { TEST_OPENAI_KEY: OPENAI_KEY }, registry });
  return service;
}

function grant(over: Partial<LlmGrant> = {}): LlmGrant {
  return {
    component: 'tester',
    version: '1.0.0',
    models: ['fast', 'claude', 'solo'],
    maxTokensPerCall: 64,
    tokensPerMinute: null,
    tokensPerDay: null,
    timeoutMs: 10_000,
    ...over,
  };
}

function request(model: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ],
    stop: [],
    ...over,
  };
}

function ok(answer: LlmAnswer): unknown {
  if (!answer.ok) throw new Error(`expected ok, got ${answer.failure.case}: ${answer.failure.message}`);
  return answer.value;
}

async function readStream(s: LlmService, g: LlmGrant, id: number): Promise<Array<Record<string, unknown>>> {
  const chunks = [];
  for (;;) {
    const chunk = ok(await s.handle(g, { op: 'next', stream: id }));
    if (chunk === null) return chunks;
    chunks.push(chunk as Record<string, unknown>);
  }
}

describe('llm providers through the official SDKs', () => {
  it('completes, streams and embeds with OpenAI-compatible and Anthropic servers, sending each its key', async () => {
    const s = await open();
    expect(ok(await s.handle(grant(), { op: 'complete', request: request('solo') }))).toEqual({
      text: 'Hello from loopback',
      finishReason: 'stop',
      usage: { promptTokens: 10, completionTokens: 3 },
    });
    expect(ok(await s.handle(grant(), { op: 'complete', request: request('claude', { maxTokens: 2 }) }))).toEqual({
      text: 'Hello from',
      finishReason: 'length',
      usage: { promptTokens: 10, completionTokens: 2 },
    });
    expect(openai.requests[0]!.credential).toBe(`Bearer ${OPENAI_KEY}`);
    expect(anthropic.requests[0]!.credential).toContain(ANTHROPIC_KEY);
    // Anthropic gets the system message as `system`, the rest as messages.
    expect(anthropic.requests[0]!.body).toMatchObject({ system: 'be brief', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

    for (const alias of ['solo', 'claude']) {
      const id = ok(await s.handle(grant(), { op: 'stream', request: request(alias) })) as number;
      const chunks = await readStream(s, grant(), id);
      expect(chunks.map((c) => c.text).join('')).toBe('Hello from loopback');
      expect(chunks.length).toBeGreaterThanOrEqual(4);
      expect(chunks.at(-1)).toMatchObject({ finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 3 } });
    }
    expect(openai.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    expect(ok(await s.handle(grant(), { op: 'embed', model: 'solo', inputs: ['a', 'b'] }))).toEqual({
      vectors: [
        [0.25, -0.5, 0],
        [0.25, -0.5, 1],
      ],
      usage: { promptTokens: 6, completionTokens: 0 },
    });
    const text = await registry.metrics();
    expect(text).toContain('lnano_llm_tokens_total{component="tester",version="1.0.0",provider="primary",model="gpt-test",kind="prompt"} 26');
    expect(text).toContain('lnano_llm_tokens_total{component="tester",version="1.0.0",provider="backup",model="claude-test",kind="completion"} 5');
    expect(text).toMatch(/lnano_llm_time_to_first_token_seconds_count\{[^}]*provider="backup"[^}]*\} 1/);
  });

  it('retries a 429 after its retry-after and a 500 with backoff, on the same provider', async () => {
    const s = await open();
    openai.faults.push({ status: 429, retryAfter: '0.3' }, { status: 500 });
    const started = performance.now();
    expect(ok(await s.handle(grant(), { op: 'complete', request: request('solo') }))).toMatchObject({ text: 'Hello from loopback' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(openai.requests).toHaveLength(3);
    expect(await registry.metrics()).toMatch(/lnano_llm_attempts_total\{provider="primary",model="gpt-test",outcome="retryable"\} 2/);
  });

  it('falls back to the next provider when one fails for good, and opens its circuit', async () => {
    const s = await open();
    // 401: this provider cannot answer; the alias's next one does.
    openai.faults.push({ status: 401 });
    expect(ok(await s.handle(grant(), { op: 'complete', request: request('fast') }))).toMatchObject({ text: 'Hello from loopback' });
    expect([openai.requests.length, anthropic.requests.length]).toEqual([1, 1]);
    // Retries used up (3 × 500): fallback again; that is 4 failures in a row, past the breaker's 3.
    openai.faults.push({ status: 500 }, { status: 500 }, { status: 500 });
    expect(ok(await s.handle(grant(), { op: 'complete', request: request('fast') }))).toMatchObject({ text: 'Hello from loopback' });
    expect(s.router.circuit('primary')!.state).toBe('open');
    // An open circuit skips the provider without a request.
    const before = openai.requests.length;
    expect(ok(await s.handle(grant(), { op: 'stream', request: request('fast') }))).toEqual(expect.any(Number));
    expect(openai.requests.length).toBe(before);
    const solo = await s.handle(grant(), { op: 'complete', request: request('solo') });
    expect(solo).toMatchObject({ ok: false, failure: { case: 'unavailable', message: expect.stringContaining('circuit open') } });
  });

  it('ends a call at its deadline when the server hangs, and a stream cut midway fails at next()', async () => {
    const s = await open();
    openai.faults.push({ hang: true });
    const started = performance.now();
    const answer = await s.handle(grant({ timeoutMs: 600 }), { op: 'complete', request: request('solo') });
    const took = performance.now() - started;
    expect(answer).toMatchObject({ ok: false, failure: { case: 'timeout' } });
    expect(took).toBeGreaterThanOrEqual(590);
    expect(took).toBeLessThan(5_000);

    openai.faults.push({ cutStream: true });
    const id = ok(await s.handle(grant(), { op: 'stream', request: request('solo') })) as number;
    let failed: LlmAnswer | undefined;
    for (let i = 0; i < 10 && !failed; i++) {
      const a = await s.handle(grant(), { op: 'next', stream: id });
      if (!a.ok) failed = a;
      else if (a.value === null) break;
    }
    expect(failed).toMatchObject({ ok: false, failure: { case: 'unavailable' } });
  });

  it('refuses a 400 as invalid-request without trying other providers, and malformed requests before any', async () => {
    const s = await open();
    openai.faults.push({ status: 400 });
    expect(await s.handle(grant(), { op: 'complete', request: request('fast') })).toMatchObject({ ok: false, failure: { case: 'invalid-request' } });
    expect(anthropic.requests).toHaveLength(0);
    for (const bad of [
      request('solo', { messages: [] }),
      request('solo', { temperature: 3 }),
      request('solo', { temperature: Number.NaN }),
      request('solo', { maxTokens: 0 }),
      request('solo', { stop: ['a', 'b', 'c', 'd', 'e'] }),
      request('solo', { messages: [{ role: 'tool' as 'user', content: 'x' }] }),
      { model: 'solo' } as unknown as ChatRequest,
    ]) {
      expect(await s.handle(grant(), { op: 'complete', request: bad })).toMatchObject({ ok: false, failure: { case: 'invalid-request' } });
    }
    expect(openai.requests).toHaveLength(1);
  });

  it('denies an alias not granted, and says unavailable for a granted alias the operator did not define', async () => {
    const s = await open();
    const answer = await s.handle(grant({ models: ['solo'] }), { op: 'complete', request: request('fast') });
    expect(answer).toMatchObject({ ok: false, failure: { case: 'denied' } });
    expect(await s.handle(grant({ models: ['ghost'] }), { op: 'complete', request: request('ghost') })).toMatchObject({
      ok: false,
      failure: { case: 'unavailable' },
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('enforces tokens per call, per minute and per day with LN_ERR_BUDGET_TOKENS', async () => {
    const s = await open();
    const perCall = await s.handle(grant({ maxTokensPerCall: 16 }), { op: 'complete', request: request('solo', { maxTokens: 17 }) });
    expect(perCall).toMatchObject({
      ok: false,
      failure: { case: 'budget-exceeded', message: expect.stringMatching(/^LN_ERR_BUDGET_TOKENS: .*maxTokensPerCall 16/) },
    });

    // Each call reserves its prompt estimate + max-tokens (8) and then counts what was used (13).
    const minute = grant({ component: 'per-minute', tokensPerMinute: 30 });
    expect(ok(await s.handle(minute, { op: 'complete', request: request('solo', { maxTokens: 8 }) }))).toBeTruthy();
    expect(ok(await s.handle(minute, { op: 'complete', request: request('solo', { maxTokens: 8 }) }))).toBeTruthy();
    expect(await s.handle(minute, { op: 'complete', request: request('solo', { maxTokens: 8 }) })).toMatchObject({
      ok: false,
      failure: { case: 'budget-exceeded', message: expect.stringContaining('tokensPerMinute 30') },
    });
    expect(s.tokensUsed('per-minute').minute).toBe(26);

    const day = grant({ component: 'per-day', tokensPerMinute: 1000, tokensPerDay: 20 });
    expect(ok(await s.handle(day, { op: 'stream', request: request('solo', { maxTokens: 8 }) }))).toEqual(expect.any(Number));
    expect(await s.handle(day, { op: 'embed', model: 'solo', inputs: ['x'.repeat(40)] })).toMatchObject({
      ok: false,
      failure: { case: 'budget-exceeded', message: expect.stringContaining('tokensPerDay 20') },
    });
    const errors = await registry.metrics();
    expect(errors).toMatch(/lnano_llm_errors_total\{component="per-day",version="1.0.0",class="budget-exceeded"\} 1/);
  });

  it('never lets a key out: a server echoing the credential in its errors gets it redacted', async () => {
    const s = await open();
    const echo = (key: string) => ({ status: 401, body: JSON.stringify({ error: { message: `bad key ${key}` } }) });
    openai.faults.push(echo(`Bearer ${OPENAI_KEY}`));
    anthropic.faults.push(echo(ANTHROPIC_KEY));
    const answer = await s.handle(grant(), { op: 'complete', request: request('fast') });
    expect(answer.ok).toBe(false);
    expect(s.redact(`x ${OPENAI_KEY} y ${ANTHROPIC_KEY}`)).toBe('x [redacted] y [redacted]');
    const everything = JSON.stringify(answer) + (await registry.metrics());
    expect(everything).not.toContain(OPENAI_KEY);
    expect(everything).not.toContain(ANTHROPIC_KEY);
  });
});
