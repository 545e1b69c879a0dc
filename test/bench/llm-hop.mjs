#!/usr/bin/env node
// The thread hop of one llm call alone: a worker thread calls the llm service on the main thread
// (`callLlm`: BroadcastChannel post, Atomics.wait, answer copied out of shared memory) with an
// in-memory provider that answers at once, so only the hop, the grant checks and the budgets count.
//
//   npm run build && node test/bench/llm-hop.mjs
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const root = new URL('../../dist/host/capabilities/llm/', import.meta.url).href;
if (isMainThread) {
  const { LlmService } = await import(`${root}llm-service.js`);
  const { parseLlmConfig } = await import(`${root}llm-config.js`);
  const fake = { name: 'p', complete: async () => ({ text: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } }) };
  const s = await LlmService.open({
    config: parseLlmConfig(
      { providers: { p: { type: 'openai', baseUrl: 'http://127.0.0.1:1/v1' } }, aliases: { fast: [{ provider: 'p', model: 'm' }] } },
      't',
      '/',
    ),
    env: {},
    providers: new Map([['p', fake]]),
  });
  s.listen();
  const w = new Worker(new URL(import.meta.url));
  w.on('message', async (m) => {
    console.log(m);
    await s.close();
    await w.terminate();
  });
} else {
  const { callLlm } = await import(`${root}llm-client.js`);
  const g = { component: 'c', version: '', models: ['fast'], maxTokensPerCall: 16, tokensPerMinute: null, tokensPerDay: null, timeoutMs: 5000 };
  const op = { op: 'complete', request: { model: 'fast', messages: [{ role: 'user', content: 'hi' }], stop: [] } };
  for (let i = 0; i < 20; i++) callLlm(g, op);
  const xs = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    const a = callLlm(g, op);
    xs.push(performance.now() - t);
    if (!a.ok) throw new Error(JSON.stringify(a));
  }
  xs.sort((a, b) => a - b);
  parentPort.postMessage({ median: xs[150].toFixed(3), p90: xs[270].toFixed(3) });
}
