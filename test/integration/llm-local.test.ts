/**
 * Local inference for real: the test writes a tiny llama-architecture GGUF with random weights
 * (test/helpers/tiny-gguf.ts) and node-llama-cpp loads it, tokenizes, evaluates and samples (the
 * text is noise). The llm service completes, streams and embeds with it, honours max-tokens and a
 * deadline; and a plugin gets a completion and a stream from it through the capability.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLlmConfig } from '../../host/capabilities/llm/llm-config.js';
import { LlmService } from '../../host/capabilities/llm/llm-service.js';
import type { LlmAnswer, LlmGrant } from '../../host/capabilities/llm/llm-wire.js';
import { LlamaProvider } from '../../host/capabilities/llm/providers/llama-provider.js';
import { createHost, type Host, type HostConfigInput, parseManifest } from '../../host/index.js';
import { ROOT, tempDataDir } from '../helpers/cli.js';
import { writeTinyLlamaGguf } from '../helpers/tiny-gguf.js';

const LLM_USER = join(ROOT, 'test', 'fixtures', 'components', 'llm-user', 'component.wasm');
let modelPath: string;

beforeAll(() => {
  modelPath = join(mkdtempSync(join(tmpdir(), 'lnano-gguf-')), 'tiny-llama.gguf');
  writeTinyLlamaGguf(modelPath);
});

const grant: LlmGrant = {
  component: 'local-user',
  version: '1.0.0',
  models: ['local'],
  maxTokensPerCall: 16,
  tokensPerMinute: null,
  tokensPerDay: null,
  timeoutMs: 60_000,
};

function ok(answer: LlmAnswer): unknown {
  if (!answer.ok) throw new Error(`${answer.failure.case}: ${answer.failure.message}`);
  return answer.value;
}

describe('local inference with node-llama-cpp', () => {
  it('completes, streams and embeds with a GGUF model through the llm service', async () => {
    const config = parseLlmConfig(
      { providers: { tiny: { type: 'llama', modelPath } }, aliases: { local: [{ provider: 'tiny', model: 'tiny' }] } },
      'test',
      '/',
    );
    const service = await LlmService.open({ config, env: {} });
    try {
      const request = { model: 'local', messages: [{ role: 'user' as const, content: 'the sensor is hot' }], maxTokens: 6, stop: [] };
      const completion = ok(await service.handle(grant, { op: 'complete', request })) as { text: string; finishReason: string; usage: Record<string, number> };
      expect(completion.usage.promptTokens).toBeGreaterThan(5);
      expect(completion.usage.completionTokens).toBeGreaterThan(0);
      expect(completion.usage.completionTokens).toBeLessThanOrEqual(6);
      expect(['length', 'stop']).toContain(completion.finishReason);

      const id = ok(await service.handle(grant, { op: 'stream', request })) as number;
      const chunks = [];
      for (;;) {
        const chunk = ok(await service.handle(grant, { op: 'next', stream: id }));
        if (chunk === null) break;
        chunks.push(chunk as { text: string; usage?: { completionTokens: number } });
      }
      expect(chunks.at(-1)!.usage!.completionTokens).toBeGreaterThan(0);
      expect(chunks.length).toBeGreaterThanOrEqual(2);

      const embedded = ok(await service.handle(grant, { op: 'embed', model: 'local', inputs: ['hot', 'cold'] })) as { vectors: number[][] };
      expect(embedded.vectors.map((v) => v.length)).toEqual([64, 64]);
    } finally {
      await service.close();
    }
  });

  it('says unavailable, naming the file, for a model that cannot be loaded', async () => {
    const provider = new LlamaProvider({ name: 'broken', modelPath: join(tmpdir(), 'no-such-model.gguf') });
    const signal = new AbortController().signal;
    await expect(
      provider.complete({ model: 'x', messages: [{ role: 'user', content: 'x' }], maxTokens: 2, stop: [], signal, timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('provider broken: cannot load the model'),
    });
  });
});

describe('a plugin on local inference', () => {
  let host: Host;
  afterAll(async () => {
    await host?.close();
  });

  it('gets a completion and a stream through the capability', async () => {
    const config = {
      dataDir: tempDataDir(),
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      adminToken: randomBytes(24).toString('hex'),
      logLevel: 'warn',
      llm: { providers: { tiny: { type: 'llama', modelPath } }, aliases: { local: [{ provider: 'tiny', model: 'tiny' }] } },
    } as unknown as HostConfigInput;
    host = createHost(config, { output: { stdout: new PassThrough(), stderr: new PassThrough() } });
    await host.start();
    const stored = await host.versions.storeArtifact(readFileSync(LLM_USER));
    const manifest = parseManifest(
      {
        name: 'local-user',
        version: '1.0.0',
        events: ['llm.*'],
        capabilities: { llm: { models: ['local'], maxTokensPerCall: 8 } },
        limits: { timeout: '60s' },
      },
      'test',
      tmpdir(),
    );
    await host.versions.deploy({ manifest, digest: stored.digest, actor: 'test', approveCapabilities: true });
    const post = async (type: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${host.addresses.ingress.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: type, type, source: '/t', data: { model: 'local', prompt: 'alert: hot', maxTokens: 5 } }),
      });
      const body = (await res.json()) as { results: Array<{ ok: boolean; events: Array<{ data: Record<string, unknown> }> }> };
      expect(body.results[0]!.ok).toBe(true);
      return body.results[0]!.events[0]!.data;
    };
    const completion = await post('llm.complete');
    expect(completion).toMatchObject({ usage: { completionTokens: expect.any(Number) } });
    expect((completion.usage as { completionTokens: number }).completionTokens).toBeGreaterThan(0);
    const streamed = await post('llm.stream');
    expect(streamed.chunks).toBeGreaterThanOrEqual(2);
    expect((streamed.usage as { completionTokens: number }).completionTokens).toBeGreaterThan(0);
  });
});
