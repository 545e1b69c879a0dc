#!/usr/bin/env node
// Host overhead of one llm completion: the same OpenAI-compatible server on loopback called
//   direct  — the provider (the official `openai` SDK client) alone;
//   service — the llm service's `handle` (grant checks, budgets, router, metrics), no thread hop;
//   plugin  — a plugin's `handle` (test/fixtures/components/llm-user) doing one `complete`, through
//             `host.events.invoke`: the sandbox worker, the BroadcastChannel + Atomics hop, the guest;
//   no-llm  — the same plugin call for an event it answers without an llm call (the call's own cost).
// Rounds interleave the three so machine noise hits them alike; medians per call are printed.
//
//   npm run build && node test/bench/llm-overhead.mjs [--rounds 5] [--calls 40]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { createHost, parseManifest } = await import(join(root, 'dist/host/index.js'));
const { LlmService } = await import(join(root, 'dist/host/capabilities/llm/llm-service.js'));
const { parseLlmConfig } = await import(join(root, 'dist/host/capabilities/llm/llm-config.js'));
const { OpenAiProvider } = await import(join(root, 'dist/host/capabilities/llm/providers/openai-provider.js'));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '40' } } });
const rounds = Number(values.rounds);
const calls = Number(values.calls);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const baseUrl = `http://127.0.0.1:${server.address().port}/v1`;
const llm = { providers: { p: { type: 'openai', baseUrl } }, aliases: { fast: [{ provider: 'p', model: 'm' }] } };

const host = createHost({
  dataDir: join(tmpdir(), `lnano-llm-bench-${process.pid}`),
  listen: '127.0.0.1:0',
  adminListen: '127.0.0.1:0',
  logLevel: 'error',
  llm,
});
await host.start();
const stored = await host.versions.storeArtifact(readFileSync(join(root, 'test/fixtures/components/llm-user/component.wasm')));
const manifest = parseManifest({ name: 'llm-user', version: '1.0.0', events: ['llm.*'], capabilities: { llm: { models: ['fast'] } } }, 'bench', tmpdir());
await host.versions.deploy({ manifest, digest: stored.digest, actor: 'bench', approveCapabilities: true });

const provider = new OpenAiProvider({ name: 'p', baseUrl, apiKey: null });
const service = await LlmService.open({ config: parseLlmConfig(llm, 'bench', '/'), env: {} });
const grant = { component: 'bench', version: '1', models: ['fast'], maxTokensPerCall: 16, tokensPerMinute: null, tokensPerDay: null, timeoutMs: 30_000 };
const messages = [{ role: 'user', content: 'hi' }];
const data = new TextEncoder().encode(JSON.stringify({ model: 'fast', prompt: 'hi', maxTokens: 16 }));
const event = { id: 'b', type: 'llm.complete', source: '/bench', time: undefined, datacontenttype: 'application/json', data, extensions: [] };

const noop = { ...event, type: 'llm.noop' };
const ways = {
  direct: () => provider.complete({ model: 'm', messages, maxTokens: 16, stop: [], signal: new AbortController().signal, timeoutMs: 30_000 }),
  service: async () => {
    const a = await service.handle(grant, { op: 'complete', request: { model: 'fast', messages, maxTokens: 16, stop: [] } });
    if (!a.ok) throw new Error(a.failure.message);
  },
  plugin: async () => {
    const out = await host.events.invoke('llm-user', event);
    if (!out.ok) throw new Error(JSON.stringify(out));
  },
  'no-llm': async () => {
    const out = await host.events.invoke('llm-user', noop);
    if (!out.ok) throw new Error(JSON.stringify(out));
  },
};
const samples = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
for (const way of Object.keys(ways)) for (let i = 0; i < 5; i++) await ways[way](); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const way of Object.keys(ways)) {
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      await ways[way]();
      samples[way].push(performance.now() - t);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const d = median(samples.direct);
console.log(`llm completion against a loopback OpenAI-compatible server, ${rounds} rounds × ${calls} calls, medians:`);
for (const way of Object.keys(ways)) {
  const m = median(samples[way]);
  console.log(`  ${way.padEnd(8)} ${m.toFixed(3)} ms${way === 'direct' ? '' : `  (+${(m - d).toFixed(3)} ms over direct)`}`);
}
// Where the plugin's time goes: the host's own llm service measured each of its calls.
const metrics = await (await fetch(`${host.addresses.admin.url}/metrics`, { headers: { authorization: `Bearer ${host.adminToken}` } })).text();
const read = (name) => Number(new RegExp(`^${name}\\{[^}]*component="llm-user"[^}]*\\} ([0-9.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN);
const sum = read('lnano_llm_request_duration_seconds_sum');
const count = read('lnano_llm_request_duration_seconds_count');
console.log(`  plugin calls as the host's llm service timed them: mean ${((sum / count) * 1000).toFixed(3)} ms over ${count} calls`);
await service.close();
await host.close();
server.close();
