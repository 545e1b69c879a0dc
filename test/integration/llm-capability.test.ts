/**
 * The `llm` capability end to end: a TypeScript plugin of liquid-nano:plugin@0.2.0
 * (test/fixtures/components/llm-user) deployed on a host whose config defines aliases over an
 * OpenAI-compatible and an Anthropic server on loopback. It gets a completion and a stream, an
 * alias it was not granted is `denied`, its token budget is enforced with LN_ERR_BUDGET_TOKENS,
 * a 0.1.0 plugin runs beside it unchanged, it runs in a worker of its own, and no key appears in
 * any answer, the metrics, the printed config or the host's log.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveGrants } from '../../host/capabilities/grant-resolver.js';
import { OPEN_POLICY } from '../../host/capabilities/policy.js';
import { createHost, type Host, type HostConfigInput, parseManifest } from '../../host/index.js';
import { isolationFor } from '../../host/resources/metering.js';
import { ROOT, tempDataDir } from '../helpers/cli.js';
import { anthropicServer, type LlmTestServer, openAiServer } from '../helpers/llm-servers.js';

const LLM_USER = join(ROOT, 'test', 'fixtures', 'components', 'llm-user', 'component.wasm');
const ECHO = join(ROOT, 'components', 'echo-c', 'component.wasm');
const SENSOR_ALERT = join(ROOT, 'components', 'sensor-alert', 'component.wasm');
const TOKEN = randomBytes(24).toString('hex');
const OPENAI_KEY = `sk-e2e-${randomBytes(12).toString('hex')}`;
const ANTHROPIC_KEY = `sk-ant-e2e-${randomBytes(12).toString('hex')}`;

let openai: LlmTestServer;
let anthropic: LlmTestServer;
let host: Host;
let stderrText = '';

interface Answer {
  results: Array<{ plugin: string; ok: boolean; events: Array<{ type: string; data: Record<string, unknown> }>; error?: unknown }>;
}

async function post(type: string, data: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${host.addresses.ingress.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: randomBytes(4).toString('hex'), type, source: '/test', data }),
  });
  return (await res.json()) as Answer;
}

/** What plugin `name` answered to one event. */
async function answerOf(name: string, type: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const body = await post(type, data);
  const result = body.results.find((r) => r.plugin === name);
  if (!result?.ok) throw new Error(`${name} failed: ${JSON.stringify(body)}`);
  return result.events[0]!.data;
}

async function deploy(name: string, wasm: string, capabilities: Record<string, unknown>, events: string[]): Promise<void> {
  const stored = await host.versions.storeArtifact(readFileSync(wasm));
  const manifest = parseManifest({ name, version: '1.0.0', events, capabilities, limits: { timeout: '20s' } }, 'test', tmpdir());
  await host.versions.deploy({ manifest, digest: stored.digest, actor: 'test', approveCapabilities: true });
}

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([openAiServer(), anthropicServer()]);
  const stderr = new PassThrough();
  stderr.on('data', (c: Buffer) => {
    stderrText += c.toString();
  });
  const config = {
    dataDir: tempDataDir(),
    listen: '127.0.0.1:0',
    adminListen: '127.0.0.1:0',
    adminToken: TOKEN,
    logLevel: 'info',
    llm: {
      providers: {
        primary: { type: 'openai', baseUrl: openai.url, apiKeyEnv: 'E2E_OPENAI_KEY' },
        backup: { type: 'anthropic', baseUrl: anthropic.url, apiKey: ANTHROPIC_KEY },
      },
      aliases: {
        fast: [
          { provider: 'primary', model: 'gpt-e2e' },
          { provider: 'backup', model: 'claude-e2e' },
        ],
        smart: [{ provider: 'backup', model: 'claude-e2e' }],
      },
      retry: { attempts: 2, baseDelay: '5ms' },
    },
  } as unknown as HostConfigInput;
  host = createHost(config, { env: { E2E_OPENAI_KEY: OPENAI_KEY }, output: { stdout: new PassThrough(), stderr } });
  await host.start();
  await deploy('llm-user', LLM_USER, { llm: { models: ['fast'], maxTokensPerCall: 64 } }, ['llm.*']);
  await deploy('budgeted', LLM_USER, { llm: { models: ['fast'], maxTokensPerCall: 8, tokensPerMinute: 30 } }, ['budget.*']);
  await deploy('echo', ECHO, {}, ['llm.complete']);
  await deploy('sensor-alert', SENSOR_ALERT, { llm: { models: ['fast', 'smart'], maxTokensPerCall: 256 } }, ['sensor.alert']);
  await deploy('sensor-alert-lite', SENSOR_ALERT, { llm: { models: ['fast'] } }, ['sensor.alert']);
}, 180_000);

afterAll(async () => {
  await host?.close();
  await Promise.all([openai?.close(), anthropic?.close()]);
});

describe('the llm capability through a plugin', () => {
  it('completes and streams for a 0.2.0 plugin, while a 0.1.0 plugin answers beside it', async () => {
    const body = await post('llm.complete', { model: 'fast', prompt: 'status?' });
    const mine = body.results.find((r) => r.plugin === 'llm-user')!;
    expect(mine.events[0]!.data).toEqual({ text: 'Hello from loopback', finish: 'stop', usage: { promptTokens: 10, completionTokens: 3 } });
    // echo-c (liquid-nano:plugin@0.1.0) handles the same event, unchanged.
    expect(body.results.find((r) => r.plugin === 'echo')).toMatchObject({ ok: true });
    expect(openai.requests.at(-1)!.body).toMatchObject({
      model: 'gpt-e2e',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'status?' },
      ],
      stop: ['\n\n'],
      temperature: 0.5,
    });

    const streamed = await answerOf('llm-user', 'llm.stream', { model: 'fast', prompt: 'go' });
    expect(streamed).toMatchObject({ text: 'Hello from loopback', finish: 'stop', usage: { promptTokens: 10, completionTokens: 3 } });
    expect(streamed.chunks).toBeGreaterThanOrEqual(4);
    expect(await answerOf('llm-user', 'llm.embed', { model: 'fast', inputs: ['a', 'b', 'c'] })).toEqual({
      count: 3,
      dims: 3,
      usage: { promptTokens: 9, completionTokens: 0 },
    });
  });

  it('falls back to the next provider for the guest, which never learns of it', async () => {
    openai.faults.push({ status: 503 }, { status: 503 });
    const before = anthropic.requests.length;
    expect(await answerOf('llm-user', 'llm.complete', { model: 'fast', prompt: 'x' })).toMatchObject({ text: 'Hello from loopback' });
    expect(anthropic.requests.length).toBe(before + 1);
  });

  it('denies an alias not granted and refuses tokens over the budget with LN_ERR_BUDGET_TOKENS', async () => {
    expect(await answerOf('llm-user', 'llm.complete', { model: 'smart', prompt: 'x' })).toEqual({
      error: 'denied',
      message: 'model alias "smart" is not granted (granted: fast)',
    });
    expect(await answerOf('llm-user', 'llm.complete', { model: 'fast', prompt: 'x', maxTokens: 65 })).toMatchObject({
      error: 'budget-exceeded',
      message: expect.stringMatching(/^LN_ERR_BUDGET_TOKENS: .*maxTokensPerCall 64/),
    });
    // 30 tokens a minute: each call reserves its prompt estimate + 8, then counts the 13 it used.
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await answerOf('budgeted', 'budget.complete', { model: 'fast', prompt: 'x' }));
    expect(answers.slice(0, 2)).toEqual([
      { text: 'Hello from loopback', finish: 'stop', usage: { promptTokens: 10, completionTokens: 3 } },
      { text: 'Hello from loopback', finish: 'stop', usage: { promptTokens: 10, completionTokens: 3 } },
    ]);
    expect(answers[2]).toMatchObject({ error: 'budget-exceeded', message: expect.stringMatching(/^LN_ERR_BUDGET_TOKENS: .*tokensPerMinute 30/) });
  });

  it('runs the example plugin: fast classifies, smart summarises (streamed), a denied alias degrades', async () => {
    openai.words = ['critical'];
    anthropic.words = ['Boiler', ' 3 is', ' overheating.'];
    try {
      const body = await post('sensor.alert', { sensor: 'boiler-3', value: 97, unit: 'C', threshold: 90 });
      const full = body.results.find((r) => r.plugin === 'sensor-alert')!;
      expect(full.events[0]).toMatchObject({ type: 'sensor.alert.classified' });
      expect(full.events[0]!.data).toEqual({
        sensor: 'boiler-3',
        severity: 'critical',
        summary: 'Boiler 3 is overheating.',
        tokens: { promptTokens: 20, completionTokens: 4 },
        degraded: false,
      });
      expect(openai.requests.at(-1)!.body).toMatchObject({ model: 'gpt-e2e', max_tokens: 4, temperature: 0 });
      expect(anthropic.requests.at(-1)!.body).toMatchObject({ model: 'claude-e2e', stream: true, max_tokens: 120 });
      // Granted only `fast`: the summary is refused (denied), and the plugin degrades to a plain one.
      const lite = body.results.find((r) => r.plugin === 'sensor-alert-lite')!;
      expect(lite.events[0]!.data).toMatchObject({ severity: 'critical', summary: 'CRITICAL: Sensor boiler-3 reads 97C (threshold 90C).', degraded: true });
    } finally {
      openai.words = ['Hello', ' from', ' loopback'];
      anthropic.words = ['Hello', ' from', ' loopback'];
    }
  });

  it('runs the llm user in a worker of its own, and keeps keys out of answers, metrics, config and logs', async () => {
    const grants = resolveGrants({ llm: { models: ['fast'] } }, { name: 'x', baseDir: tmpdir(), dataDir: tmpdir(), source: 'test', policy: OPEN_POLICY });
    expect(isolationFor({ isolation: 'auto' }, grants)).toBe('worker');
    const metrics = await (await fetch(`${host.addresses.admin.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/lnano_llm_tokens_total\{component="llm-user",version="1.0.0",provider="primary",model="gpt-e2e",kind="completion"\} \d+/);
    const config = await (await fetch(`${host.addresses.admin.url}/v1/config`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(config).toContain('"apiKey":"(set)"');
    openai.faults.push({ status: 401 }, { status: 401 });
    anthropic.faults.push({ status: 401 });
    const failed = await answerOf('llm-user', 'llm.complete', { model: 'fast', prompt: 'x' });
    expect(failed).toMatchObject({ error: 'unavailable' });
    for (const text of [JSON.stringify(failed), metrics, config]) {
      expect(text).not.toContain(OPENAI_KEY);
      expect(text).not.toContain(ANTHROPIC_KEY);
    }
    const logs = await (await fetch(`${host.addresses.admin.url}/v1/components/llm-user/logs`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(logs).toContain('llm call failed');
    for (const text of [logs, stderrText]) {
      expect(text).not.toContain(OPENAI_KEY);
      expect(text).not.toContain(ANTHROPIC_KEY);
    }
  });
});
