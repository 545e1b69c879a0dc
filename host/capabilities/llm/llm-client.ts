/**
 * The guest side of an llm call, inside the sandbox worker: posts one request to the host's llm
 * service (`llm-wire.ts`) and blocks the thread until the answer is written, the call's deadline
 * passes, or no service takes the request. Blocking is why a component with an `llm` grant gets a
 * worker of its own (`blocksThread` in `capability.ts`).
 */
import { BroadcastChannel } from 'node:worker_threads';
import { AnswerSlot, LLM_CHANNEL, type LlmAnswer, type LlmGrant, type LlmOp, MAX_ANSWER_BYTES } from './llm-wire.js';

/** How long the service has to take a request before the call is `unavailable`, ms. */
const ACCEPT_MS = 2_000;
/** Slack past the grant's deadline for the service's own timeout answer to arrive, ms. */
const DEADLINE_SLACK_MS = 1_000;

let channel: BroadcastChannel | undefined;

/** Runs `op` for `grant`; never throws (a lost or late answer is a failure value). */
export function callLlm(grant: LlmGrant, op: LlmOp): LlmAnswer {
  if (!channel) {
    channel = new BroadcastChannel(LLM_CHANNEL);
    channel.unref();
  }
  // A fresh buffer per request: a late answer to an abandoned request can never land in another's.
  // Its pages are committed only as the answer is written.
  const answer = new SharedArrayBuffer(AnswerSlot.DATA_OFFSET + MAX_ANSWER_BYTES);
  const slot = new Int32Array(answer, 0, 2);
  const until = performance.now() + grant.timeoutMs + DEADLINE_SLACK_MS;
  channel.postMessage({ grant, op, answer });
  // Woken only by the answer; at the accept timeout, a request nobody took means no service runs.
  if (Atomics.wait(slot, AnswerSlot.STATE, AnswerSlot.PENDING, ACCEPT_MS) === 'timed-out' && Atomics.load(slot, AnswerSlot.STATE) === AnswerSlot.PENDING) {
    return { ok: false, failure: { case: 'unavailable', message: 'no llm service runs in this host (the host config has no llm section)' } };
  }
  for (;;) {
    const state = Atomics.load(slot, AnswerSlot.STATE);
    if (state === AnswerSlot.DONE) break;
    const left = until - performance.now();
    if (left <= 0) return { ok: false, failure: { case: 'timeout', message: `no answer within ${grant.timeoutMs} ms` } };
    Atomics.wait(slot, AnswerSlot.STATE, state, left);
  }
  const length = Atomics.load(slot, AnswerSlot.LENGTH);
  // TextDecoder cannot read shared memory: copy the bytes out first.
  const bytes = new Uint8Array(length);
  bytes.set(new Uint8Array(answer, AnswerSlot.DATA_OFFSET, length));
  return JSON.parse(new TextDecoder().decode(bytes)) as LlmAnswer;
}
