/**
 * Hand-drawn SVG charts of the timeline: calls and errors, latency, fuel, per time bucket.
 * The SVG scales to its box (`viewBox`, aspect kept so the labels stay round); each chart has axes,
 * a legend, a tooltip per bucket and a text summary for screen readers.
 */
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

/** The drawing box; the plot sits inside the margins, the axis labels in them. */
const W = 320;
const H = 150;
const M = { left: 40, right: 8, top: 8, bottom: 20 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

interface Series {
  readonly label: string;
  readonly class: string;
  readonly values: readonly number[];
  readonly kind: 'bar' | 'line';
  readonly format: (v: number) => string;
}

/** A tick value: `v` with few digits. */
function tick(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v >= 10 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

const y = (v: number, max: number): number => M.top + PH - (v / max) * PH;

/**
 * One chart: y axis from 0 to `max` (labelled with `unit`), x axis in minutes before now, a
 * legend, and per bucket a hover target whose tooltip (`<title>`) gives its time and values.
 */
function Chart(props: {
  title: string;
  unit: string;
  summary: string;
  max: number;
  series: readonly Series[];
  buckets: readonly Bucket[];
  bucketSeconds: number;
}) {
  const n = props.buckets.length;
  const w = PW / n;
  const minutes = (n * props.bucketSeconds) / 60;
  const xTicks = Array.from({ length: Math.floor(minutes) + 1 }, (_, i) => i);
  const bars = props.series.filter((s) => s.kind === 'bar');
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <ul class="legend">
        {props.series.map((s) => (
          <li key={s.label}>
            <span class={`swatch ${s.class}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}: ${props.summary}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={M.left} x2={W - M.right} y1={y(f * props.max, props.max)} y2={y(f * props.max, props.max)} class={f === 0 ? 'axis' : 'grid'} />
            <text x={M.left - 4} y={y(f * props.max, props.max) + 3.5} class="tick" text-anchor="end">
              {tick(f * props.max)}
            </text>
          </g>
        ))}
        <text x={4} y={M.top + PH / 2} class="tick unit" transform={`rotate(-90 8 ${M.top + PH / 2})`} text-anchor="middle">
          {props.unit}
        </text>
        {xTicks.map((m) => (
          <text
            key={m}
            x={W - M.right - (m / minutes) * PW}
            y={H - 5}
            class="tick"
            text-anchor={m === 0 ? 'end' : m === xTicks.length - 1 ? 'start' : 'middle'}
          >
            {m === 0 ? 'now' : `−${m} min`}
          </text>
        ))}
        {bars.map((s, k) =>
          s.values.map(
            (v, i) =>
              v > 0 && (
                <rect
                  key={`${k}-${i}`}
                  class={s.class}
                  x={M.left + i * w + 0.5}
                  width={Math.max(w - 1, 0.5)}
                  y={y(v, props.max)}
                  height={M.top + PH - y(v, props.max)}
                />
              ),
          ),
        )}
        {props.series
          .filter((s) => s.kind === 'line')
          .map((s) => (
            <polyline key={s.label} class={s.class} fill="none" points={s.values.map((v, i) => `${M.left + (i + 0.5) * w},${y(v, props.max)}`).join(' ')} />
          ))}
        {props.buckets.map((b, i) => (
          <rect key={`hit-${b.start}`} class="hit" x={M.left + i * w} width={w} y={M.top} height={PH}>
            <title>
              {`${new Date(b.start).toLocaleTimeString([], { hour12: false })}: ${props.series.map((s) => `${s.label} ${s.format(s.values[i] ?? 0)}`).join(', ')}`}
            </title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}

/** A ceiling for an axis: 1, 2 or 5 times a power of ten, at least `v`. */
function ceiling(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= v)!;
}

export function TimelineCharts(props: { buckets: readonly Bucket[]; bucketSeconds: number }) {
  const { buckets } = props;
  const calls = buckets.map((b) => b.calls);
  const errors = buckets.map((b) => b.errors);
  const p50 = buckets.map((b) => quantile(b.latencies, 0.5));
  const p99 = buckets.map((b) => quantile(b.latencies, 0.99));
  const fuel = buckets.map((b) => b.fuel);
  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const span = `last ${Math.round((buckets.length * props.bucketSeconds) / 60)} min, ${props.bucketSeconds} s per bar`;
  const n = (v: number): string => String(Math.round(v));
  const msText = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  const common = { buckets, bucketSeconds: props.bucketSeconds };
  return (
    <div class="charts">
      <Chart
        {...common}
        title="Calls and errors"
        unit={`per ${props.bucketSeconds} s`}
        max={ceiling(Math.max(...calls))}
        summary={`${total(calls)} calls, ${total(errors)} errors, ${span}`}
        series={[
          { label: 'calls', class: 'bar-calls', values: calls, kind: 'bar', format: n },
          { label: 'errors', class: 'bar-errors', values: errors, kind: 'bar', format: n },
        ]}
      />
      <Chart
        {...common}
        title="Latency"
        unit="ms"
        max={ceiling(Math.max(...p99))}
        summary={`p50 up to ${Math.max(...p50).toFixed(1)} ms, p99 up to ${Math.max(...p99).toFixed(1)} ms, ${span}`}
        series={[
          { label: 'p50', class: 'line-p50', values: p50, kind: 'line', format: msText },
          { label: 'p99', class: 'line-p99', values: p99, kind: 'line', format: msText },
        ]}
      />
      <Chart
        {...common}
        title="Fuel"
        unit="instructions"
        max={ceiling(Math.max(...fuel))}
        summary={`${total(fuel)} instructions, ${span}`}
        series={[{ label: 'fuel (metered components)', class: 'bar-fuel', values: fuel, kind: 'bar', format: n }]}
      />
    </div>
  );
}
