/**
 * The parts of a composer step that shape the DAG beyond one input: a join (the step takes the
 * outputs of several steps as one event), a condition (`when`: a step's outcome, or a JSON path
 * of the input event), and a fallback (a step with `role: "fallback"` that runs in place of this
 * one when it fails for good). What pipeline files allow (docs/pipelines.md); a condition the form
 * cannot show (nested `all`/`any`/`not`) is kept as it is and shown as JSON.
 */
import type { PipelineStep } from '../../api-types.js';
import { EVENT_NODE, inputsOf } from './pipeline-graph.js';

/** A condition of a pipeline step, as the host's pipeline schema takes it. */
export type StepCondition =
  | { step: string; status: 'succeeded' | 'failed' | 'skipped' }
  | { path: string; equals: Scalar }
  | { path: string; contains: Scalar }
  | { path: string; exists: boolean }
  | { all: StepCondition[] }
  | { any: StepCondition[] }
  | { not: StepCondition };

type Scalar = string | number | boolean | null;

/** What the condition fields show: the kind of test, and its parts as text. */
export interface ConditionForm {
  readonly kind: 'always' | 'step' | 'path' | 'kept';
  readonly step: string;
  readonly status: 'succeeded' | 'failed' | 'skipped';
  readonly path: string;
  readonly op: 'equals' | 'contains' | 'exists' | 'missing';
  readonly value: string;
}

const EMPTY_FORM: ConditionForm = { kind: 'always', step: '', status: 'succeeded', path: '$.data.', op: 'equals', value: '' };

/** The form fields of a step's `when` (`kept` for a condition the form cannot show). */
export function conditionForm(when: unknown): ConditionForm {
  if (when === undefined || when === null) return EMPTY_FORM;
  const c = when as Record<string, unknown>;
  if (typeof c.step === 'string' && typeof c.status === 'string') {
    return { ...EMPTY_FORM, kind: 'step', step: c.step, status: c.status as ConditionForm['status'] };
  }
  if (typeof c.path === 'string') {
    if ('exists' in c) return { ...EMPTY_FORM, kind: 'path', path: c.path, op: c.exists === false ? 'missing' : 'exists' };
    if ('equals' in c) return { ...EMPTY_FORM, kind: 'path', path: c.path, op: 'equals', value: scalarText(c.equals as Scalar) };
    if ('contains' in c) return { ...EMPTY_FORM, kind: 'path', path: c.path, op: 'contains', value: scalarText(c.contains as Scalar) };
  }
  return { ...EMPTY_FORM, kind: 'kept' };
}

/** A scalar as a person types it: strings bare, the rest as JSON (`21.5`, `true`, `null`). */
function scalarText(v: Scalar): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * What a typed value means: a number, `true`, `false` or `null` when it reads as one, a string
 * otherwise (`"21.5"` in quotes is the string).
 */
export function scalarOf(text: string): Scalar {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (t !== '' && Number.isFinite(Number(t)) && /^-?\d/.test(t)) return Number(t);
  if (/^".*"$/.test(t)) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return text;
    }
  }
  return text;
}

/** The `when` the form's fields say (undefined: always; a `kept` condition is not rebuilt). */
export function conditionOf(form: ConditionForm): StepCondition | undefined {
  switch (form.kind) {
    case 'step':
      return { step: form.step, status: form.status };
    case 'path':
      if (form.op === 'exists' || form.op === 'missing') return { path: form.path.trim(), exists: form.op === 'exists' };
      return form.op === 'equals' ? { path: form.path.trim(), equals: scalarOf(form.value) } : { path: form.path.trim(), contains: scalarOf(form.value) };
    default:
      return undefined;
  }
}

/** `step` with its inputs set: one (a string) or several (a join: a list). */
export function withInputs(step: PipelineStep, inputs: readonly string[]): PipelineStep {
  const unique = [...new Set(inputs)];
  return { ...step, input: unique.length === 1 ? unique[0]! : unique };
}

/** `step` with `key` set, or removed when `value` is undefined. */
function withKey(step: PipelineStep, key: string, value: unknown): PipelineStep {
  const out: PipelineStep = { ...step };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

/** Invalid-field attributes for the field `name` of step `id` (see the composer's problems). */
type Bad = (field: string) => { 'aria-invalid'?: 'true'; 'aria-describedby'?: string };

export function StepFlow(props: { step: PipelineStep; id: string; others: readonly PipelineStep[]; bad: Bad; onChange: (s: PipelineStep) => void }) {
  const { step, id, bad } = props;
  const inputs = inputsOf(step);
  const [main, ...joined] = inputs;
  const otherIds = props.others.map((o) => o.id);
  const form = conditionForm(step.when);
  const setForm = (patch: Partial<ConditionForm>): void => {
    const next = { ...form, ...patch };
    if (next.kind === 'step' && !next.step) next.step = otherIds[0] ?? '';
    props.onChange(withKey(step, 'when', next.kind === 'kept' ? step.when : conditionOf(next)));
  };
  const fallbacks = props.others.filter((o) => o.role === 'fallback').map((o) => o.id);
  const isFallback = step.role === 'fallback';
  return (
    <>
      <fieldset class="flow-join">
        <legend>Join with</legend>
        {otherIds.length === 0 && <span class="hint">no other step yet</span>}
        {[EVENT_NODE, ...otherIds]
          .filter((o) => o !== (main ?? EVENT_NODE))
          .map((o) => (
            <label key={o} class="check" for={`${id}-join-${o}`}>
              <input
                id={`${id}-join-${o}`}
                type="checkbox"
                checked={joined.includes(o)}
                onChange={(e) =>
                  props.onChange(
                    withInputs(
                      step,
                      (e.target as HTMLInputElement).checked ? [main ?? EVENT_NODE, ...joined, o] : [main ?? EVENT_NODE, ...joined.filter((j) => j !== o)],
                    ),
                  )
                }
              />
              <span>{o === EVENT_NODE ? 'the triggering event' : `step ${o}`}</span>
            </label>
          ))}
      </fieldset>
      <fieldset class="flow-when">
        <legend>Run only when</legend>
        <label for={`${id}-when`}>
          <span>Condition</span>
          <select
            id={`${id}-when`}
            value={form.kind}
            {...bad('when')}
            onChange={(e) => setForm({ kind: (e.target as HTMLSelectElement).value as ConditionForm['kind'] })}
          >
            <option value="always">always</option>
            <option value="step" disabled={otherIds.length === 0}>
              another step ended so
            </option>
            <option value="path">a field of the input</option>
            {form.kind === 'kept' && <option value="kept">as in the file</option>}
          </select>
        </label>
        {form.kind === 'step' && (
          <>
            <label for={`${id}-when-step`}>
              <span>Step</span>
              <select id={`${id}-when-step`} value={form.step} onChange={(e) => setForm({ step: (e.target as HTMLSelectElement).value })}>
                {otherIds.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
            <label for={`${id}-when-status`}>
              <span>Ended</span>
              <select
                id={`${id}-when-status`}
                value={form.status}
                onChange={(e) => setForm({ status: (e.target as HTMLSelectElement).value as ConditionForm['status'] })}
              >
                <option value="succeeded">succeeded</option>
                <option value="failed">failed</option>
                <option value="skipped">skipped</option>
              </select>
            </label>
          </>
        )}
        {form.kind === 'path' && (
          <>
            <label for={`${id}-when-path`}>
              <span>Path</span>
              <input
                id={`${id}-when-path`}
                type="text"
                value={form.path}
                placeholder="$.data.celsius"
                onInput={(e) => setForm({ path: (e.target as HTMLInputElement).value })}
              />
            </label>
            <label for={`${id}-when-op`}>
              <span>Test</span>
              <select id={`${id}-when-op`} value={form.op} onChange={(e) => setForm({ op: (e.target as HTMLSelectElement).value as ConditionForm['op'] })}>
                <option value="equals">equals</option>
                <option value="contains">contains</option>
                <option value="exists">is there</option>
                <option value="missing">is not there</option>
              </select>
            </label>
            {(form.op === 'equals' || form.op === 'contains') && (
              <label for={`${id}-when-value`}>
                <span>Value</span>
                <input
                  id={`${id}-when-value`}
                  type="text"
                  value={form.value}
                  placeholder='21.5, true, "text"'
                  onInput={(e) => setForm({ value: (e.target as HTMLInputElement).value })}
                />
              </label>
            )}
          </>
        )}
        {form.kind === 'kept' && <code class="kept-condition">{JSON.stringify(step.when)}</code>}
      </fieldset>
      <fieldset class="flow-fallback">
        <legend>When it fails</legend>
        <label for={`${id}-fallback`}>
          <span>Fallback step</span>
          <select
            id={`${id}-fallback`}
            value={step.fallback ?? ''}
            disabled={isFallback}
            {...bad('fallback')}
            onChange={(e) => props.onChange(withKey(step, 'fallback', (e.target as HTMLSelectElement).value || undefined))}
          >
            <option value="">none (the run fails)</option>
            {fallbacks.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <label class="check" for={`${id}-role`}>
          <input
            id={`${id}-role`}
            type="checkbox"
            checked={isFallback}
            {...bad('role')}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              props.onChange(withKey(withKey(step, 'role', on ? 'fallback' : undefined), 'fallback', on ? undefined : step.fallback));
            }}
          />
          <span>This step is a fallback (it runs only in place of the step that names it)</span>
        </label>
      </fieldset>
    </>
  );
}
