/**
 * The `llm` capability's grant lifecycle and the host config's `llm` section: manifest schema,
 * flag merge, resolution under the operator policy (aliases, amounts, timeout), the capability
 * diff, placement, and hostile config values refused with LN_ERR_CONFIG_INVALID; keys shown as
 * `(set)` and never read from the environment unless named.
 */
import { describe, expect, it } from 'vitest';
import { mergeCapabilities, parseCapabilities } from '../../../host/capabilities/capability-manifest.js';
import { diffCapabilities, formatDiff } from '../../../host/capabilities/grant-diff.js';
import { resolveGrants } from '../../../host/capabilities/grant-resolver.js';
import { closedGrants, grantsBlockThread } from '../../../host/capabilities/grants.js';
import { LLM_CALLS_PER_CALL, llmImports } from '../../../host/capabilities/llm/imports.js';
import { callLlm } from '../../../host/capabilities/llm/llm-client.js';
import { displayLlmConfig, parseLlmConfig, providerKey } from '../../../host/capabilities/llm/llm-config.js';
import type { LlmGrant } from '../../../host/capabilities/llm/llm-wire.js';
import { OPEN_POLICY, parsePolicy } from '../../../host/capabilities/policy.js';
import type { HostBridge } from '../../../host/sandbox/protocol.js';
import { codeOf, errorOf } from '../../helpers/errors.js';

const source = { name: 'alerts', version: '2.0.0', baseDir: '/', dataDir: '/tmp', source: 'manifest.json' };

describe('the llm grant', () => {
  it('resolves a manifest section to a grant with defaults, and is closed without one', () => {
    const section = parseCapabilities({ llm: { models: ['smart', 'fast', 'fast'], tokensPerDay: 1000 } }, 'm.json');
    const grants = resolveGrants(section, { ...source, policy: OPEN_POLICY });
    expect(grants.plugin.llm).toEqual({
      component: 'alerts',
      version: '2.0.0',
      models: ['fast', 'smart'],
      maxTokensPerCall: 1024,
      tokensPerMinute: null,
      tokensPerDay: 1000,
      timeoutMs: 30_000,
    });
    expect(grantsBlockThread(grants)).toBe(true);
    expect(closedGrants('x').plugin.llm).toBeNull();
    expect(grantsBlockThread(closedGrants('x'))).toBe(false);
  });

  it('refuses hostile sections: no models, a bad alias, unknown keys, absurd amounts', () => {
    for (const bad of [
      { llm: { models: [] } },
      { llm: { models: ['../etc'] } },
      { llm: { models: ['Fast'] } },
      { llm: { models: ['fast'], key: 'sk-1' } },
      { llm: { models: ['fast'], maxTokensPerCall: 0 } },
      { llm: { models: ['fast'], tokensPerDay: 1.5 } },
      { llm: { models: 'fast' } },
    ]) {
      expect(
        codeOf(() => parseCapabilities(bad, 'm.json')),
        JSON.stringify(bad),
      ).toBe('LN_ERR_MANIFEST_INVALID');
    }
  });

  it('merges --llm flags into a manifest and keeps its amounts', () => {
    const merged = mergeCapabilities({ llm: { models: ['fast'], tokensPerMinute: 10 } }, { llm: { models: ['smart', 'fast'] } });
    expect(merged.llm).toEqual({ models: ['fast', 'smart'], tokensPerMinute: 10 });
  });

  it('is bounded by the operator policy: aliases, amounts, timeout, allow', () => {
    const policy = parsePolicy({ llm: { models: ['fast'], maxTokensPerCall: 256, tokensPerDay: 5000, timeout: '10s' } }, '/etc/lnano.json', '/');
    const ok = resolveGrants({ llm: { models: ['fast'] } }, { ...source, policy });
    // The policy's lower ceiling is the default; its day budget too.
    expect(ok.plugin.llm).toMatchObject({ maxTokensPerCall: 256, tokensPerDay: 5000, timeoutMs: 10_000 });
    for (const llm of [
      { models: ['smart'] },
      { models: ['fast'], maxTokensPerCall: 257 },
      { models: ['fast'], tokensPerDay: 5001 },
      { models: ['fast'], timeout: '11s' },
    ]) {
      const err = errorOf(() => resolveGrants({ llm }, { ...source, policy }));
      expect(err.code, JSON.stringify(llm)).toBe('LN_ERR_CAP_POLICY');
      expect(err.message).toContain('/etc/lnano.json');
    }
    const closed = parsePolicy({ llm: { allow: false } }, '/etc/lnano.json', '/');
    expect(codeOf(() => resolveGrants({ llm: { models: ['fast'] } }, { ...source, policy: closed }))).toBe('LN_ERR_CAP_POLICY');
  });

  it('shows aliases and raised budgets in the capability diff', () => {
    const active = { llm: { models: ['fast'], tokensPerDay: 1000 } };
    const candidate = { llm: { models: ['fast', 'smart'], tokensPerDay: 5000 } };
    const lines = formatDiff(diffCapabilities(active, candidate)).join('\n');
    expect(lines).toContain('model smart');
    expect(lines).toContain('tokensPerDay');
  });
});

describe('the guest side', () => {
  const grant: LlmGrant = { component: 'c', version: '', models: ['fast'], maxTokensPerCall: 8, tokensPerMinute: null, tokensPerDay: null, timeoutMs: 5000 };
  const request = { model: 'fast', messages: [{ role: 'user' as const, content: 'x' }], stop: [] };
  let calls = 0;
  const bridge: HostBridge = { notify: () => {}, output: () => {}, hostCall: () => ++calls, hostCallLimit: () => undefined };

  it('without a grant every call is denied and nothing is sent', () => {
    const imports = llmImports(null, bridge) as { complete(r: unknown): unknown; embed(m: string, i: string[]): unknown };
    expect(() => imports.complete(request)).toThrow(expect.objectContaining({ tag: 'denied' }));
    expect(() => imports.embed('fast', ['x'])).toThrow(expect.objectContaining({ tag: 'denied' }));
  });

  it(`refuses more than ${LLM_CALLS_PER_CALL} calls in one plugin call before asking the service`, () => {
    calls = LLM_CALLS_PER_CALL;
    const imports = llmImports(grant, bridge) as { complete(r: unknown): unknown };
    expect(() => imports.complete(request)).toThrow(expect.objectContaining({ tag: 'invalid-request' }));
  });

  it('is unavailable, after the accept timeout, in a process where no llm service runs', () => {
    const started = performance.now();
    expect(callLlm(grant, { op: 'complete', request })).toEqual({
      ok: false,
      failure: { case: 'unavailable', message: 'no llm service runs in this host (the host config has no llm section)' },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
  });
});

describe('the host config llm section', () => {
  const good = {
    providers: {
      a: { type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'A_KEY' },
      b: { type: 'anthropic', apiKey: 'sk-ant-secret' },
      c: { type: 'llama', modelPath: 'models/m.gguf' },
    },
    aliases: {
      fast: [
        { provider: 'c', model: 'm' },
        { provider: 'a', model: 'gpt' },
      ],
    },
  };

  it('resolves paths, defaults and keys; shows keys as (set)', () => {
    const config = parseLlmConfig(good, 'file lnano.yaml', '/etc/lnano');
    expect(config.providers.c).toMatchObject({ modelPath: '/etc/lnano/models/m.gguf' });
    expect(config.retry).toEqual({ attempts: 3, baseDelayMs: 200, maxDelayMs: 5000 });
    expect(providerKey(config.providers.a!, { A_KEY: 'sk-env' })).toBe('sk-env');
    expect(providerKey(config.providers.a!, { OPENAI_API_KEY: 'sk-ambient' })).toBeNull();
    expect(JSON.stringify(displayLlmConfig(config))).not.toContain('sk-ant-secret');
    expect(JSON.stringify(displayLlmConfig(config))).toContain('"apiKey":"(set)"');
  });

  it('refuses hostile values with LN_ERR_CONFIG_INVALID naming llm', () => {
    for (const bad of [
      { ...good, aliases: { fast: [{ provider: 'ghost', model: 'm' }] } },
      { ...good, providers: { a: { type: 'openai', baseUrl: 'file:///etc/passwd' } } },
      { ...good, providers: { a: { type: 'openai' } } },
      { ...good, providers: { a: { type: 'grpc', baseUrl: 'http://x' } } },
      { ...good, providers: { a: { type: 'openai', baseUrl: 'http://x', apiKeyEnv: 'A B' } } },
      { ...good, aliases: { fast: [] } },
      { ...good, retry: { attempts: 0 } },
      { ...good, breaker: { cooldown: 'soon' } },
      { ...good, extra: true },
      'llm',
      [],
    ]) {
      const err = errorOf(() => parseLlmConfig(bad, 'file lnano.yaml', '/'));
      expect(err.code, JSON.stringify(bad)).toBe('LN_ERR_CONFIG_INVALID');
      expect(err.message).toContain('"llm');
    }
  });
});
