/**
 * One timeline entry in full (a click on its row in Live): every field of the outcome, its
 * pipeline step, and its trace's spans when tracing recorded it (`GET /v1/traces`, newest 256).
 */
import { useEffect, useState } from 'preact/hooks';
import type { TimelineEntry } from '../../api-types.js';
import { api } from './api.js';
import { Dialog } from './dialog.js';
import { bytes, dateTime, fuel, ms } from './format.js';
import { describeError } from './hooks.js';

interface Span {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly durationMs: number;
  readonly status: string;
}
interface Trace {
  readonly traceId: string;
  readonly spans: readonly Span[];
}

/** The spans of a trace, parents before children, each with its depth (a span whose parent is not kept is a root). */
function spanTree(trace: Trace): Array<{ span: Span; depth: number }> {
  const out: Array<{ span: Span; depth: number }> = [];
  const children = (parent: string | null, depth: number): void => {
    for (const s of trace.spans.filter((x) => x.parentSpanId === parent || (parent === null && !trace.spans.some((p) => p.spanId === x.parentSpanId)))) {
      if (out.some((o) => o.span.spanId === s.spanId)) continue;
      out.push({ span: s, depth });
      children(s.spanId, depth + 1);
    }
  };
  children(null, 0);
  return out;
}

export function EntryDialog(props: { entry: TimelineEntry; onClose: () => void }) {
  const e = props.entry;
  const [trace, setTrace] = useState<Trace | null | 'none'>(e.traceId ? null : 'none');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!e.traceId) return;
    api<{ traces: readonly Trace[] }>('GET', '/traces?limit=256').then(
      (r) => setTrace(r.traces.find((t) => t.traceId === e.traceId) ?? 'none'),
      (err) => setError(describeError(err)),
    );
  }, []);
  return (
    <Dialog title={`Entry ${e.seq}: ${e.plugin}@${e.version}`} onClose={props.onClose} id="entry-dialog">
      <dl class="card details">
        <dt>Time</dt>
        <dd>{dateTime(e.time)}</dd>
        <dt>Status</dt>
        <dd>
          <span class={`badge ${e.status === 'ok' ? 'ok' : 'bad'}`}>{e.status === 'ok' ? 'ok' : (e.code ?? 'error')}</span>
        </dd>
        <dt>Event</dt>
        <dd>
          {e.eventType} <code>{e.eventId}</code> from <code>{e.source}</code>
        </dd>
        {e.parentEventId && (
          <>
            <dt>Follows</dt>
            <dd>
              <code>{e.parentEventId}</code> (generation {e.depth})
            </dd>
          </>
        )}
        <dt>Duration</dt>
        <dd>{ms(e.durationMs)}</dd>
        <dt>Fuel</dt>
        <dd>{e.usage ? fuel(e.usage.fuelUsed) : '—'}</dd>
        <dt>Memory</dt>
        <dd>{bytes(e.usage?.peakMemoryBytes)}</dd>
        {e.pipeline && (
          <>
            <dt>Pipeline</dt>
            <dd>
              <a href="#/pipelines">{e.pipeline.name}</a>, step {e.pipeline.step}, run <code>{e.pipeline.runId}</code>
            </dd>
          </>
        )}
        <dt>Trace</dt>
        <dd>{e.traceId ? <code>{e.traceId}</code> : 'not traced (tracing is off, or the call was not sampled)'}</dd>
      </dl>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {e.traceId && trace === null && !error && <p aria-live="polite">Loading the trace …</p>}
      {e.traceId && trace === 'none' && <p class="muted">The trace is no longer in the host's ring of recent traces.</p>}
      {trace && trace !== 'none' && (
        <ul class="spans" aria-label="Spans of the trace">
          {spanTree(trace).map(({ span, depth }) => (
            <li key={span.spanId} class={`depth-${Math.min(depth, 6)}${span.status === 'error' ? ' error' : ''}`}>
              {span.name} <span class="muted">{ms(span.durationMs)}</span>
            </li>
          ))}
        </ul>
      )}
      <div class="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
