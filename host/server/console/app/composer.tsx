/**
 * Visual composition: build or edit a pipeline by connecting deployed components. Each step picks
 * a component and what it takes as input (the event or an earlier step, or several joined), when
 * it runs (a condition) and what stands in for it when it fails (a fallback step, `step-flow.tsx`);
 * the DAG redraws as you go. Validate asks the host (`POST /v1/pipelines/validate`, the schema pipeline files use), Save
 * writes the file (`PUT /v1/pipelines/:name`, hot-reloaded), Run starts it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AdminAnswers, PipelineDefinition, PipelineStep } from '../../api-types.js';
import { ApiError, api } from './api.js';
import { describeError, usePoll } from './hooks.js';
import { EVENT_NODE, inputsOf, PipelineGraph } from './pipeline-graph.js';
import { consoleEvent, startRun } from './pipeline-run.js';
import { StepFlow, withInputs } from './step-flow.js';

const blank = (): PipelineDefinition => ({ name: '', description: '', trigger: { events: [] }, steps: [] });

/** A step id and a pipeline name: as the host's schema checks them (valid as an HTML `pattern`, which Chrome compiles with the `v` flag). */
export const ID_PATTERN = '[a-z][a-z0-9\\-]{0,62}';
const ID_RE = new RegExp(`^${ID_PATTERN}$`, 'v');

/** One problem the composer shows: the field's element id (to highlight and focus), and a sentence. */
export interface Problem {
  readonly field: string | null;
  readonly text: string;
}

const FIELDS: Readonly<Record<string, string>> = {
  id: 'id',
  component: 'component',
  input: 'input',
  timeout: 'timeout',
  retries: 'number of retries',
  fallback: 'fallback',
  role: 'role',
  backoff: 'backoff',
  when: 'condition',
};

/** The host's wording of a rule, as a clause that follows "Step 2's id" or "The name". */
function clause(message: string): string {
  const m = message.trim();
  if (/^must be 1-63 of a-z 0-9 - starting with a letter$/.test(m)) return 'must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter';
  if (/^must be a plugin name/.test(m)) return 'must name a deployed component (choose one)';
  if (/^Too small: expected array to have >=1 items$/.test(m)) return 'needs at least one step';
  let r = /^unknown step "(.*)"$/.exec(m);
  if (r) return `names "${r[1]}", which is not a step of this pipeline`;
  r = /^"(.*)" is also the id of steps\.(\d+)$/.exec(m);
  if (r) return `"${r[1]}" is already the id of step ${Number(r[2]) + 1}`;
  r = /^"(.*)" is not a duration \(e\.g\. (.*)\)$/.exec(m);
  if (r) return `"${r[1]}" is not a duration (write e.g. ${r[2]!.replace(', ', ' or ')})`;
  // Anything else: the host's words, with steps counted from 1 as the form counts them.
  return `: ${m.replace(/\bsteps\.(\d+)/g, (_, n: string) => `step ${Number(n) + 1}`)}`;
}

/**
 * The host's `reason` for an invalid pipeline (`steps.1.id: must be …; name: …`) as sentences
 * counted from 1 like the form ("Step 2's id must be …"), each with the field to highlight.
 */
export function problemsOf(reason: string): Problem[] {
  return reason.split(/; (?=[\w$.]+: )/).map((part) => {
    const colon = part.indexOf(': ');
    const path = colon < 0 ? '' : part.slice(0, colon);
    const message = colon < 0 ? part : part.slice(colon + 2);
    const step = /^steps\.(\d+)(?:\.(\w+))?/.exec(path);
    let subject: string;
    let field: string | null;
    if (step) {
      const n = Number(step[1]);
      const key = step[2];
      subject = key ? `Step ${n + 1}'s ${FIELDS[key] ?? key}` : `Step ${n + 1}`;
      field = `step-${n}-${key && ['id', 'component', 'input', 'timeout', 'retries', 'when', 'fallback', 'role'].includes(key) ? key : 'id'}`;
    } else if (path === 'steps') {
      subject = 'The pipeline';
      field = 'add-step';
    } else if (path === 'name' || path === 'description') {
      subject = `The ${path}`;
      field = `pipeline-${path}`;
    } else if (path.startsWith('trigger')) {
      subject = 'The trigger events';
      field = 'pipeline-trigger';
    } else {
      subject = path ? `The ${path}` : 'The pipeline';
      field = null;
    }
    const c = clause(message);
    const text = c.startsWith(': ') ? `${subject}${c}` : `${subject} ${c}`;
    return { field, text: /[.!?)]$/.test(text) ? text : `${text}.` };
  });
}

/** What the form can tell before asking the host: the ids (the `pattern` attribute's check, which the browser does not enforce on a button click). */
function localProblems(d: PipelineDefinition): Problem[] {
  const reasons: string[] = [];
  if (d.name.trim() && !ID_RE.test(d.name.trim())) reasons.push('name: must be 1-63 of a-z 0-9 - starting with a letter');
  d.steps.forEach((s, i) => {
    if (!ID_RE.test(s.id.trim())) reasons.push(`steps.${i}.id: must be 1-63 of a-z 0-9 - starting with a letter`);
    if (!s.component) reasons.push(`steps.${i}.component: must be a plugin name`);
  });
  return reasons.length === 0 ? [] : problemsOf(reasons.join('; '));
}

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
  others: PipelineStep[];
  components: string[];
  invalid: ReadonlySet<string>;
  onChange: (s: PipelineStep) => void;
  onRemove: () => void;
}) {
  const { step, index } = props;
  const id = `step-${index}`;
  const set = (patch: Partial<PipelineStep>): void => props.onChange({ ...step, ...patch });
  const [input = EVENT_NODE, ...joined] = inputsOf(step);
  const bad = (field: string) => (props.invalid.has(`${id}-${field}`) ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'composer-message' } : {});
  return (
    <fieldset class="step-editor" data-step-index={index}>
      <legend>Step {index + 1}</legend>
      <label for={`${id}-id`}>
        <span>Step id</span>
        <input
          id={`${id}-id`}
          type="text"
          value={step.id}
          pattern={ID_PATTERN}
          {...bad('id')}
          onInput={(e) => set({ id: (e.target as HTMLInputElement).value })}
        />
      </label>
      <label for={`${id}-component`}>
        <span>Component</span>
        <select id={`${id}-component`} value={step.component} {...bad('component')} onChange={(e) => set({ component: (e.target as HTMLSelectElement).value })}>
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
        <select
          id={`${id}-input`}
          value={input}
          {...bad('input')}
          onChange={(e) => {
            const main = (e.target as HTMLSelectElement).value;
            props.onChange(withInputs(step, [main, ...joined.filter((j) => j !== main)]));
          }}
        >
          <option value={EVENT_NODE}>the triggering event</option>
          {props.others.map((o) => (
            <option key={o.id} value={o.id}>
              step {o.id}
            </option>
          ))}
        </select>
      </label>
      <label for={`${id}-timeout`}>
        <span>Timeout</span>
        <input
          id={`${id}-timeout`}
          {...bad('timeout')}
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
          {...bad('retries')}
          type="number"
          min={0}
          max={10}
          value={step.retries ?? 0}
          onInput={(e) => set({ retries: Number((e.target as HTMLInputElement).value) || 0 })}
        />
      </label>
      <StepFlow step={step} id={id} others={props.others} bad={bad} onChange={props.onChange} />
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
  const [problems, setProblems] = useState<readonly Problem[]>([]);
  const invalid = new Set(problems.map((p) => p.field).filter((f): f is string => f !== null));
  const focusNext = useRef(false);
  useEffect(() => {
    // After a failed check, the first offending field takes the focus (once per check).
    if (!focusNext.current) return;
    focusNext.current = false;
    const first = problems.find((p) => p.field)?.field;
    if (first) document.getElementById(first)?.focus();
  }, [problems]);
  const fail = (found: readonly Problem[]): void => {
    focusNext.current = true;
    setProblems(found);
    setMessage({ text: found.map((p) => p.text).join(' '), tone: 'bad' });
  };
  const components = usePoll((signal) => api<AdminAnswers['GET /v1/components']>('GET', '/components', undefined, signal), 0);
  const names = (components.data?.components ?? []).map((c) => c.name);
  useEffect(() => {
    if (!props.name) return;
    const path = `/pipelines/${encodeURIComponent(props.name)}`;
    api<AdminAnswers['GET /v1/pipelines/:name']>('GET', path).then(
      async (r) => {
        const listed = r.pipeline;
        if (!listed.valid) return setMessage({ text: `${listed.file}: ${listed.error.code}: ${listed.error.message}`, tone: 'bad' });
        // The file's document keeps every key (`$schema` too); a host without that route: the listing (cleanDefinition drops what it adds).
        const doc = await api<AdminAnswers['GET /v1/pipelines/:name/document']>('GET', `${path}/document`).then(
          (d) => d.document,
          () => listed as unknown as PipelineDefinition,
        );
        setDraft({ ...blank(), ...doc });
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
    setMessage(null);
    setProblems([]);
    const local = localProblems(draft);
    if (local.length > 0) return fail(local);
    setBusy(true);
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
      const reason =
        err instanceof ApiError && err.code === 'LN_ERR_CONFIG_PIPELINE_INVALID' ? (err.details as { reason?: unknown } | undefined)?.reason : undefined;
      if (typeof reason === 'string') fail(problemsOf(reason));
      else setMessage({ text: describeError(err), tone: 'bad' });
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
            pattern={ID_PATTERN}
            {...(invalid.has('pipeline-name') ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'composer-message' } : {})}
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
            {...(invalid.has('pipeline-trigger') ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'composer-message' } : {})}
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
            invalid={invalid}
            others={draft.steps.filter((o, j) => j !== i && o.id.trim())}
            onChange={(next) => setStep(i, next)}
            onRemove={() => setDraft({ ...draft, steps: draft.steps.filter((_, j) => j !== i) })}
          />
        ))}
        <div class="toolbar">
          <button type="button" id="add-step" onClick={addStep}>
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
