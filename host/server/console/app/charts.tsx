/**
 * Hand-drawn SVG charts of the timeline: calls and errors, latency, fuel, per time bucket.
 * The SVG scales to its box (`viewBox`); each chart has a text summary for screen readers.
 */
import type { ComponentChildren } from 'preact';
import type { TimelineEntry } from '../../api-types.js';

/** One time bucket's numbers. */
export interface Bucket {
  readonly start: number;
  calls: number;
  errors: number;
  fuel: number;
  latencies: number[];
}

/** Buckets of `bucketMs` ending at `now`, `count` of them, filled from `entries`. */
export function bucketize(entries: readonly TimelineEntry[], now: number, bucketMs: number, count: number): Bucket[] {
  const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({ start: first + i * bucketMs, calls: 0, errors: 0, fuel: 0, latencies: [] }));
  for (const e of entries) {
    const i = Math.floor((Date.parse(e.time) - first) / bucketMs);
    const b = buckets[i];
    if (!b) continue;
    b.calls += 1;
    if (e.status === 'error') b.errors += 1;
    b.fuel += e.usage?.fuelUsed ?? 0;
    b.latencies.push(e.durationMs);
  }
  return buckets;
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const W = 300;
const H = 100;

function Frame(props: { title: string; summary: string; max: string; children: ComponentChildren }) {
  return (
    <figure class="chart">
      <figcaption>
        {props.title} <span class="muted">(max {props.max})</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${props.title}: ${props.summary}`}>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
        {props.children}
      </svg>
    </figure>
  );
}

function Bars(props: { values: readonly number[]; max: number; class: string }) {
  const w = W / props.values.length;
  return (
    <>
      {props.values.map(
        (v, i) =>
          v > 0 && (
            <rect
              key={i}
              class={props.class}
              x={i * w + 0.5}
              width={Math.max(w - 1, 0.5)}
              y={H - (v / props.max) * (H - 4)}
              height={(v / props.max) * (H - 4)}
            />
          ),
      )}
    </>
  );
}

function Line(props: { values: readonly number[]; max: number; class: string }) {
  const w = W / props.values.length;
  const points = props.values.map((v, i) => `${(i + 0.5) * w},${H - (v / props.max) * (H - 4)}`).join(' ');
  return <polyline class={props.class} points={points} fill="none" />;
}

export function TimelineCharts(props: { buckets: readonly Bucket[]; bucketSeconds: number }) {
  const { buckets } = props;
  const calls = buckets.map((b) => b.calls);
  const errors = buckets.map((b) => b.errors);
  const p50 = buckets.map((b) => quantile(b.latencies, 0.5));
  const p99 = buckets.map((b) => quantile(b.latencies, 0.99));
  const fuel = buckets.map((b) => b.fuel);
  const maxCalls = Math.max(1, ...calls);
  const maxLatency = Math.max(0.001, ...p99);
  const maxFuel = Math.max(1, ...fuel);
  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const span = `last ${Math.round((buckets.length * props.bucketSeconds) / 60)} min, ${props.bucketSeconds} s per bar`;
  return (
    <div class="charts">
      <Frame title="Calls and errors" max={`${maxCalls} / bucket`} summary={`${total(calls)} calls, ${total(errors)} errors, ${span}`}>
        <Bars values={calls} max={maxCalls} class="bar-calls" />
        <Bars values={errors} max={maxCalls} class="bar-errors" />
      </Frame>
      <Frame title="Latency p50 / p99" max={`${maxLatency.toFixed(1)} ms`} summary={`p99 up to ${maxLatency.toFixed(1)} ms, ${span}`}>
        <Line values={p99} max={maxLatency} class="line-p99" />
        <Line values={p50} max={maxLatency} class="line-p50" />
      </Frame>
      <Frame title="Fuel" max={`${Math.round(maxFuel)} / bucket`} summary={`${total(fuel)} instructions, ${span}`}>
        <Bars values={fuel} max={maxFuel} class="bar-fuel" />
      </Frame>
    </div>
  );
}
