/** Every pipeline file (contract C): its DAG with the latest (or a chosen recent) run's status per step; run, edit, delete. */
import { useState } from 'preact/hooks';
import type { AdminAnswers, PipelineListing, PipelineRun, PipelineStep, RunSummary, StepStatus } from '../../api-types.js';
import { api } from './api.js';
import { Dialog } from './dialog.js';
import { ms, time } from './format.js';
import { describeError, usePoll } from './hooks.js';
import { inputsOf, PipelineGraph } from './pipeline-graph.js';
import { RunDialog } from './pipeline-run.js';

/** What a step follows, for the steps table: its inputs, or the step a fallback stands in for. */
function afterOf(steps: readonly PipelineStep[], id: string, component: string): string {
  const step = steps.find((d) => d.id === id) ?? { id, component, input: '?' };
  const owner = step.role === 'fallback' && step.input === undefined ? steps.find((d) => d.fallback === id) : undefined;
  return owner ? `in place of ${owner.id}` : inputsOf(step).join(', ');
}

/** Runs shown in a pipeline's history. */
const HISTORY = 10;

/** The pipeline's recent runs (newest first) and the chosen one (default: the newest) with its steps. */
function runsOf(name: string, runId: string | null) {
  return async (signal: AbortSignal): Promise<{ runs: readonly RunSummary[]; run: PipelineRun | null }> => {
    const path = `/pipelines/${encodeURIComponent(name)}/runs`;
    const { runs } = await api<AdminAnswers['GET /v1/pipelines/:name/runs']>('GET', path, undefined, signal);
    const id = runId ?? runs[0]?.runId;
    return { runs, run: id ? await api<PipelineRun>('GET', `${path}/${encodeURIComponent(id)}`, undefined, signal) : null };
  };
}

/** The recent runs of a pipeline, newest first; a click shows that run's steps in the graph and the table. */
function RunHistory(props: { name: string; runs: readonly RunSummary[]; shown: string | null; onShow: (runId: string) => void }) {
  if (props.runs.length < 2) return null;
  return (
    <details class="run-history">
      <summary>Recent runs ({Math.min(props.runs.length, HISTORY)})</summary>
      <ul>
        {props.runs.slice(0, HISTORY).map((r) => (
          <li key={r.runId}>
            <button
              type="button"
              class="link-button"
              aria-pressed={r.runId === props.shown}
              onClick={() => props.onShow(r.runId)}
              aria-label={`Show run ${r.runId} of ${props.name}`}
            >
              {time(r.startedAt)}
            </button>{' '}
            <span class={`badge step-${r.status === 'succeeded' ? 'succeeded' : r.status === 'failed' ? 'failed' : 'running'}`}>{r.status}</span>{' '}
            <span class="muted">{ms(r.durationMs)}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** One pipeline: graph, latest run, actions. */
export function PipelineCard(props: { pipeline: Extract<PipelineListing, { valid: true }>; onDeleted: () => void }) {
  const { name } = props.pipeline;
  // The host lists only pipelines its schema accepted, so each step has at least an id and a component.
  const steps = props.pipeline.steps as readonly PipelineStep[];
  const [runId, setRunId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'run' | 'delete' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = usePoll(runsOf(name, runId), 1000, [runId]);
  const r = run.data?.run ?? null;
  const status = new Map<string, StepStatus>((r?.steps ?? []).map((s) => [s.id, s.status]));
  const remove = async (): Promise<void> => {
    try {
      await api('DELETE', `/pipelines/${encodeURIComponent(name)}`);
      setDialog(null);
      props.onDeleted();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <article class="pipeline" data-pipeline={name} aria-labelledby={`pipeline-${name}`}>
      <h2 id={`pipeline-${name}`}>{name}</h2>
      {props.pipeline.description && <p>{props.pipeline.description}</p>}
      <p class="muted">
        Trigger: {props.pipeline.trigger?.events.join(', ') || 'runs by hand only'} · {steps.length} step(s)
      </p>
      <PipelineGraph name={name} steps={steps} status={status} />
      <p class="run-status" role="status" data-run-status={r?.status ?? 'none'}>
        {r ? (
          <>
            Run <code>{r.runId}</code>: <strong>{r.status}</strong>
            {r.startedAt ? ` at ${time(r.startedAt)}` : ''}
            {r.durationMs !== null && r.durationMs !== undefined ? `, ${ms(r.durationMs)}` : ''}
          </>
        ) : (
          'No runs yet.'
        )}
      </p>
      <RunHistory name={name} runs={run.data?.runs ?? []} shown={r?.runId ?? null} onShow={setRunId} />
      {r?.steps && (
        <div class="table-wrap">
          <table class="steps">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Component</th>
                <th scope="col">After</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col" class="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {r.steps.map((s) => (
                <tr key={s.id} data-step={s.id}>
                  <th scope="row" data-label="Step">
                    {s.id}
                  </th>
                  <td data-label="Component">{s.component}</td>
                  <td data-label="After">{afterOf(steps, s.id, s.component)}</td>
                  <td data-label="Status">
                    <span class={`badge step-${s.status}`}>{s.status}</span>
                    {s.error && <span class="step-error"> {s.error.code}</span>}
                  </td>
                  <td data-label="Attempts" class="num">
                    {s.attempts}
                  </td>
                  <td data-label="Duration" class="num">
                    {ms(s.durationMs)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setDialog('run')}>
          Run {name}
        </button>
        <a class="button" href={`#/compose/${encodeURIComponent(name)}`}>
          Edit {name}
        </a>
        <button type="button" onClick={() => setDialog('delete')}>
          Delete {name}
        </button>
      </div>
      {dialog === 'run' && (
        <RunDialog
          name={name}
          defaultType={props.pipeline.trigger?.events[0]?.replace(/\*/g, 'console') ?? 'console.run'}
          onClose={() => setDialog(null)}
          onStarted={(id) => {
            setDialog(null);
            setRunId(id);
          }}
        />
      )}
      {dialog === 'delete' && (
        <Dialog title={`Delete pipeline ${name}?`} onClose={() => setDialog(null)}>
          <p>This removes its file; runs in progress finish.</p>
          <div class="dialog-actions">
            <button type="button" onClick={() => setDialog(null)}>
              Cancel
            </button>
            <button type="button" class="primary danger" onClick={() => void remove()}>
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </article>
  );
}

export function PipelinesView() {
  const list = usePoll((signal) => api<AdminAnswers['GET /v1/pipelines']>('GET', '/pipelines', undefined, signal), 5000);
  const missing = list.error?.startsWith('LN_ERR_ADMIN_NOT_FOUND');
  return (
    <section aria-labelledby="pipelines-title">
      <h1 id="pipelines-title" tabIndex={-1}>
        Pipelines
      </h1>
      <p>
        <a class="button primary" href="#/compose">
          New pipeline
        </a>
      </p>
      {missing ? (
        <p class="error" role="alert">
          This host does not serve pipelines (GET /v1/pipelines).
        </p>
      ) : (
        list.error && (
          <p class="error" role="alert">
            {list.error}
          </p>
        )
      )}
      {list.data?.pipelines.length === 0 && <p>No pipelines yet: compose one, or put a file in the pipelines folder.</p>}
      {list.data?.pipelines.map((p) =>
        p.valid ? (
          <PipelineCard key={p.name} pipeline={p} onDeleted={list.refresh} />
        ) : (
          <article class="pipeline invalid" key={p.name}>
            <h2>{p.name}</h2>
            <p class="error">
              {p.file}: {p.error.code}: {p.error.message}
            </p>
          </article>
        ),
      )}
    </section>
  );
}
