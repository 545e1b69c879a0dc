/**
 * Visual composition: build or edit a pipeline by connecting deployed components. Each step picks
 * a component and what it takes as input (the event or an earlier step); the DAG redraws as you
 * go. Validate asks the host (`POST /v1/pipelines/validate`, the schema pipeline files use), Save
 * writes the file (`PUT /v1/pipelines/:name`, hot-reloaded), Run starts it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AdminAnswers, PipelineDefinition, PipelineStep } from '../../api-types.js';
import { api } from './api.js';
import { describeError, usePoll } from './hooks.js';
import { EVENT_NODE, inputsOf, PipelineGraph } from './pipeline-graph.js';
import { consoleEvent, startRun } from './pipeline-run.js';

const blank = (): PipelineDefinition => ({ name: '', description: '', trigger: { events: [] }, steps: [] });

/** The definition as the API takes it: no empty optional fields; fields the composer does not edit kept. */
export function cleanDefinition(d: PipelineDefinition): PipelineDefinition {
  const steps = d.steps.map((s) => {
    const out: PipelineStep = { ...s, id: s.id.trim() };
    if (typeof s.timeout === 'string' && !s.timeout.trim()) delete out.timeout;
    if (!s.retries) delete out.retries;
    return out;
  });
  // What a listing adds to the file's fields (contract C) is not part of a definition.
  const { file: _file, valid: _valid, error: _error, order: _order, ...rest } = d;
  const out: PipelineDefinition = { ...rest, name: d.name.trim(), steps };
  if (!d.description?.trim()) delete out.description;
  if (!d.trigger || d.trigger.events.length === 0) delete out.trigger;
  return out;
}

function StepEditor(props: {
  step: PipelineStep;
  index: number;
  others: string[];
  components: string[];
  onChange: (s: PipelineStep) => void;
  onRemove: () => void;
}) {
  const { step, index } = props;
  const id = `step-${index}`;
  const set = (patch: Partial<PipelineStep>): void => props.onChange({ ...step, ...patch });
  const input = inputsOf(step)[0] ?? EVENT_NODE;
  return (
    <fieldset class="step-editor" data-step-index={index}>
      <legend>Step {index + 1}</legend>
      <label for={`${id}-id`}>
        <span>Step id</span>
        <input id={`${id}-id`} type="text" value={step.id} pattern="[a-z][a-z0-9-]*" onInput={(e) => set({ id: (e.target as HTMLInputElement).value })} />
      </label>
      <label for={`${id}-component`}>
        <span>Component</span>
        <select id={`${id}-component`} value={step.component} onChange={(e) => set({ component: (e.target as HTMLSelectElement).value })}>
          <option value="">choose …</option>
          {props.components.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label for={`${id}-input`}>
        <span>Input from</span>
        <select id={`${id}-input`} value={input} onChange={(e) => set({ input: (e.target as HTMLSelectElement).value })}>
          <option value={EVENT_NODE}>the triggering event</option>
          {props.others.map((o) => (
            <option key={o} value={o}>
              step {o}
            </option>
          ))}
        </select>
      </label>
      <label for={`${id}-timeout`}>
        <span>Timeout</span>
        <input
          id={`${id}-timeout`}
          type="text"
          placeholder="e.g. 2s"
          value={typeof step.timeout === 'string' || typeof step.timeout === 'number' ? step.timeout : ''}
          onInput={(e) => set({ timeout: (e.target as HTMLInputElement).value })}
        />
      </label>
      <label for={`${id}-retries`}>
        <span>Retries</span>
        <input
          id={`${id}-retries`}
          type="number"
          min={0}
          max={10}
          value={step.retries ?? 0}
          onInput={(e) => set({ retries: Number((e.target as HTMLInputElement).value) || 0 })}
        />
      </label>
      <button type="button" class="remove" onClick={props.onRemove} aria-label={`Remove step ${index + 1}`}>
        Remove
      </button>
    </fieldset>
  );
}

export function ComposerView(props: { name: string | null }) {
  const [draft, setDraft] = useState<PipelineDefinition>(blank);
  const [message, setMessage] = useState<{ text: string; tone: 'ok' | 'bad' } | null>(null);
  const [busy, setBusy] = useState(false);
  const components = usePoll((signal) => api<AdminAnswers['GET /v1/components']>('GET', '/components', undefined, signal), 0);
  const names = (components.data?.components ?? []).map((c) => c.name);
  useEffect(() => {
    if (!props.name) return;
    api<AdminAnswers['GET /v1/pipelines/:name']>('GET', `/pipelines/${encodeURIComponent(props.name)}`).then(
      (r) => {
        const listed = r.pipeline;
        if (!listed.valid) return setMessage({ text: `${listed.file}: ${listed.error.code}: ${listed.error.message}`, tone: 'bad' });
        // A valid listing is the file's definition plus what the listing adds (cleanDefinition drops it).
        setDraft({ ...blank(), ...(listed as unknown as PipelineDefinition) });
      },
      (err) => setMessage({ text: describeError(err), tone: 'bad' }),
    );
  }, []);
  const setStep = (i: number, s: PipelineStep): void => setDraft({ ...draft, steps: draft.steps.map((old, j) => (j === i ? s : old)) });
  const addStep = (): void => {
    const last = draft.steps.at(-1);
    let n = draft.steps.length + 1;
    while (draft.steps.some((s) => s.id === `step-${n}`)) n += 1;
    setDraft({ ...draft, steps: [...draft.steps, { id: `step-${n}`, component: names[0] ?? '', input: last?.id ?? EVENT_NODE }] });
  };
  const act = async (what: 'validate' | 'save' | 'run'): Promise<void> => {
    setBusy(true);
    setMessage(null);
    const definition = cleanDefinition(draft);
    try {
      const checked = await api<AdminAnswers['POST /v1/pipelines/validate']>('POST', '/pipelines/validate', definition);
      if (what === 'validate') setMessage({ text: `Valid: runs ${checked.order.join(' → ')}`, tone: 'ok' });
      if (what === 'save' || what === 'run') {
        await api('PUT', `/pipelines/${encodeURIComponent(definition.name)}`, definition);
        setMessage({ text: `Saved ${definition.name}`, tone: 'ok' });
      }
      if (what === 'run') {
        const runId = await startRun(definition.name, consoleEvent(definition.trigger?.events[0]?.replace(/\*/g, 'console') ?? 'console.run', {}));
        setMessage({ text: `Saved ${definition.name}; run ${runId} started`, tone: 'ok' });
        location.hash = '#/pipelines';
      }
    } catch (err) {
      setMessage({ text: describeError(err), tone: 'bad' });
    } finally {
      setBusy(false);
    }
  };
  const preview = draft.steps.filter((s) => s.id.trim());
  return (
    <section aria-labelledby="composer-title">
      <p>
        <a href="#/pipelines">← All pipelines</a>
      </p>
      <h1 id="composer-title" tabIndex={-1}>
        {props.name ? `Edit pipeline ${props.name}` : 'New pipeline'}
      </h1>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void act('save');
        }}
      >
        <div class="form-grid">
          <label for="pipeline-name">Name</label>
          <input
            id="pipeline-name"
            type="text"
            required
            readOnly={props.name !== null}
            value={draft.name}
            onInput={(e) => setDraft({ ...draft, name: (e.target as HTMLInputElement).value })}
          />
          <label for="pipeline-description">Description</label>
          <input
            id="pipeline-description"
            type="text"
            value={draft.description ?? ''}
            onInput={(e) => setDraft({ ...draft, description: (e.target as HTMLInputElement).value })}
          />
          <label for="pipeline-trigger">Trigger events</label>
          <input
            id="pipeline-trigger"
            type="text"
            placeholder="sensor.*, alarm.* (empty: runs by hand only)"
            value={draft.trigger?.events.join(', ') ?? ''}
            onInput={(e) =>
              setDraft({
                ...draft,
                trigger: {
                  events: (e.target as HTMLInputElement).value
                    .split(',')
                    .map((t) => t.trim())
                    .filter(Boolean),
                },
              })
            }
          />
        </div>
        {draft.steps.map((s, i) => (
          <StepEditor
            key={i}
            index={i}
            step={s}
            components={names}
            others={draft.steps.filter((o, j) => j !== i && o.id.trim()).map((o) => o.id)}
            onChange={(next) => setStep(i, next)}
            onRemove={() => setDraft({ ...draft, steps: draft.steps.filter((_, j) => j !== i) })}
          />
        ))}
        <div class="toolbar">
          <button type="button" onClick={addStep}>
            Add step
          </button>
          <button type="button" disabled={busy} onClick={() => void act('validate')}>
            Validate
          </button>
          <button type="submit" disabled={busy}>
            Save
          </button>
          <button type="button" class="primary" disabled={busy} onClick={() => void act('run')}>
            Save and run
          </button>
        </div>
        {message && (
          <p class={message.tone === 'ok' ? 'notice' : 'error'} role={message.tone === 'ok' ? 'status' : 'alert'} id="composer-message">
            {message.text}
          </p>
        )}
      </form>
      <h2>Preview</h2>
      {preview.length > 0 ? <PipelineGraph name={draft.name || 'draft'} steps={preview} /> : <p>Add a step to see the graph.</p>}
    </section>
  );
}
