/**
 * A validated pipeline: the file's document checked by the zod schema, then as a DAG — unique
 * step ids, every reference known, no cycles, consistent fallbacks — and resolved (durations in
 * ms, the order steps may start in, what each waits for). Immutable (deeply frozen).
 */
import { isLnError, LnError } from '../errors/ln-error.js';
import { describeIssues } from '../support/schema.js';
import { parseDurationMs } from '../support/units.js';
import { deepFreeze } from './deep-freeze.js';
import { PIPELINE_DEFAULTS } from './pipeline-defaults.js';
import { type Condition, type PipelineDocument, pipelineSchema, type StepDocument } from './pipeline-schema.js';

/** The trigger event as a step input. */
export const EVENT_INPUT = 'event';

/** Retry delays of a step, ms: attempt n (n ≥ 1) waits min(initialMs · factor^(n-1), maxMs). */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/** One step, resolved. */
export interface PipelineStep {
  readonly id: string;
  readonly component: string;
  readonly description?: string;
  /** `event` and/or earlier step ids. */
  readonly inputs: readonly string[];
  /** Whether `input` was a list (the step gets one merged event) rather than one name. */
  readonly merge: boolean;
  readonly when?: Condition;
  /** Deadline of each attempt, ms; undefined: `PIPELINE_DEFAULTS.stepTimeoutMs`. */
  readonly timeoutMs?: number;
  readonly retries: number;
  readonly backoff: Backoff;
  readonly fallback?: string;
  readonly role: 'step' | 'fallback';
  /** For a fallback step: the step it stands in for. */
  readonly covers?: string;
  /** The steps that must be finished before it starts (inputs, `when` references, the covered step, and their fallbacks). */
  readonly after: readonly string[];
}

export interface PipelineDefinition {
  readonly name: string;
  readonly description?: string;
  readonly trigger: { readonly events: readonly string[] };
  readonly priority: number;
  /** Steps in a topological order (declaration order among independent steps). */
  readonly steps: readonly PipelineStep[];
  /** Their ids, in that order. */
  readonly order: readonly string[];
  /** The document as validated, for the API and `PUT` round trips. */
  readonly document: PipelineDocument;
}

const invalid = (file: string, reason: string): LnError => new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file, reason });

/** How deep a JSON value nests (objects and arrays), stopping once past `limit`. */
function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || value === null || typeof value !== 'object') return depth;
  let deepest = depth + 1;
  for (const v of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(v, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

function conditionSteps(condition: Condition | undefined, out: string[] = []): string[] {
  if (!condition) return out;
  if ('step' in condition) out.push(condition.step);
  else if ('all' in condition) for (const c of condition.all) conditionSteps(c, out);
  else if ('any' in condition) for (const c of condition.any) conditionSteps(c, out);
  else if ('not' in condition) conditionSteps(condition.not, out);
  return out;
}

function resolveBackoff(step: StepDocument, key: string, file: string): Backoff {
  const b = step.backoff;
  const bound = (ms: number, what: string): number => {
    if (ms > PIPELINE_DEFAULTS.maxBackoffMs) throw invalid(file, `${key}.backoff${what}: at most ${PIPELINE_DEFAULTS.maxBackoffMs} ms`);
    return ms;
  };
  if (b === undefined) return { initialMs: PIPELINE_DEFAULTS.backoffInitialMs, maxMs: PIPELINE_DEFAULTS.backoffMaxMs, factor: PIPELINE_DEFAULTS.backoffFactor };
  if (typeof b === 'string' || typeof b === 'number') {
    const initialMs = bound(parseDurationMs(b, `${key}.backoff`, file), '');
    return { initialMs, maxMs: Math.max(initialMs, PIPELINE_DEFAULTS.backoffMaxMs), factor: PIPELINE_DEFAULTS.backoffFactor };
  }
  const initialMs = bound(parseDurationMs(b.initial, `${key}.backoff.initial`, file), '.initial');
  const maxMs = b.max === undefined ? Math.max(initialMs, PIPELINE_DEFAULTS.backoffMaxMs) : bound(parseDurationMs(b.max, `${key}.backoff.max`, file), '.max');
  if (maxMs < initialMs) throw invalid(file, `${key}.backoff.max: must not be below backoff.initial`);
  return { initialMs, maxMs, factor: b.factor ?? PIPELINE_DEFAULTS.backoffFactor };
}

/** A cycle through `start` along `after` edges, as `a → b → a`, or undefined. */
function findCycle(after: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const dep of after.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of after.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Validates a pipeline document (from a file, or a request body).
 *
 * @param file - where it came from, for errors (a file path, or `the request body`)
 * @throws LnError `LN_ERR_CONFIG_PIPELINE_INVALID` naming the file and the key path
 *   (`steps.2.input: unknown step "x"`)
 */
export function parsePipeline(value: unknown, file: string): PipelineDefinition {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(file, 'a pipeline is a JSON (or YAML) object');
  if (depthOf(value, PIPELINE_DEFAULTS.maxDepth) > PIPELINE_DEFAULTS.maxDepth) {
    throw invalid(file, `(top level): nested deeper than ${PIPELINE_DEFAULTS.maxDepth} levels`);
  }
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) throw invalid(file, describeIssues(parsed.error, '', { max: 5 }));
  const doc = parsed.data;
  try {
    return deepFreeze(resolve(doc, file));
  } catch (err) {
    if (isLnError(err) && err.code === 'LN_ERR_CONFIG_INVALID') throw invalid(file, `${String(err.details.key)}: ${String(err.details.reason)}`);
    throw err;
  }
}

function resolve(doc: PipelineDocument, file: string): PipelineDefinition {
  const index = new Map<string, number>();
  doc.steps.forEach((s, i) => {
    if (s.id === EVENT_INPUT) throw invalid(file, `steps.${i}.id: "${EVENT_INPUT}" names the trigger event; choose another id`);
    if (index.has(s.id)) throw invalid(file, `steps.${i}.id: "${s.id}" is also the id of steps.${index.get(s.id)}`);
    index.set(s.id, i);
  });
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  const isFallback = (id: string): boolean => byId.get(id)?.role === 'fallback';
  const covers = new Map<string, string>();
  doc.steps.forEach((s, i) => {
    const key = `steps.${i}`;
    const inputs = s.input === undefined ? [EVENT_INPUT] : typeof s.input === 'string' ? [s.input] : s.input;
    if (new Set(inputs).size !== inputs.length) throw invalid(file, `${key}.input: names a step twice`);
    for (const ref of inputs) {
      if (ref === EVENT_INPUT) continue;
      if (ref === s.id) throw invalid(file, `${key}.input: a step cannot take its own output`);
      if (!byId.has(ref)) throw invalid(file, `${key}.input: unknown step "${ref}"`);
      if (isFallback(ref))
        throw invalid(
          file,
          `${key}.input: "${ref}" is a fallback step; take the input of the step it stands in for ("${[...covers].find(([, f]) => f === ref)?.[0] ?? 'that step'}") instead`,
        );
    }
    for (const ref of conditionSteps(s.when)) {
      if (ref === s.id) throw invalid(file, `${key}.when: a step cannot depend on its own status`);
      if (!byId.has(ref)) throw invalid(file, `${key}.when: unknown step "${ref}"`);
      if (isFallback(ref)) throw invalid(file, `${key}.when: "${ref}" is a fallback step; test the status of the step it stands in for`);
    }
    if (s.fallback !== undefined) {
      if (s.role === 'fallback') throw invalid(file, `${key}.fallback: a fallback step cannot have a fallback of its own`);
      if (s.fallback === s.id) throw invalid(file, `${key}.fallback: a step cannot be its own fallback`);
      const target = byId.get(s.fallback);
      if (!target) throw invalid(file, `${key}.fallback: unknown step "${s.fallback}"`);
      if (target.role !== 'fallback') throw invalid(file, `${key}.fallback: "${s.fallback}" must be declared with "role": "fallback"`);
      const other = [...covers].find(([, f]) => f === s.fallback);
      if (other) throw invalid(file, `${key}.fallback: "${s.fallback}" is already the fallback of "${other[0]}"`);
      covers.set(s.id, s.fallback);
    }
    if (s.timeout !== undefined && parseDurationMs(s.timeout, `${key}.timeout`, file) > PIPELINE_DEFAULTS.maxStepTimeoutMs) {
      throw invalid(file, `${key}.timeout: at most ${PIPELINE_DEFAULTS.maxStepTimeoutMs} ms`);
    }
  });
  const coveredBy = new Map([...covers].map(([step, fallback]) => [fallback, step]));
  doc.steps.forEach((s, i) => {
    if (s.role === 'fallback' && !coveredBy.has(s.id)) throw invalid(file, `steps.${i}.role: no step names "${s.id}" as its fallback`);
  });

  const after = new Map<string, string[]>();
  const steps = doc.steps.map((s, i): PipelineStep => {
    const key = `steps.${i}`;
    const inputs = s.input === undefined ? [EVENT_INPUT] : typeof s.input === 'string' ? [s.input] : [...s.input];
    const deps = new Set<string>();
    for (const ref of [...inputs, ...conditionSteps(s.when)]) {
      if (ref === EVENT_INPUT) continue;
      deps.add(ref);
      const f = covers.get(ref);
      if (f) deps.add(f);
    }
    const covered = coveredBy.get(s.id);
    if (covered) {
      if (deps.has(covered)) throw invalid(file, `${key}.input: a fallback cannot take the output of "${covered}", the step it stands in for`);
      deps.add(covered);
    }
    after.set(s.id, [...deps]);
    return {
      id: s.id,
      component: s.component,
      ...(s.description !== undefined ? { description: s.description } : {}),
      inputs,
      merge: Array.isArray(s.input),
      ...(s.when ? { when: s.when } : {}),
      ...(s.timeout !== undefined ? { timeoutMs: parseDurationMs(s.timeout, `${key}.timeout`, file) } : {}),
      retries: s.retries ?? 0,
      backoff: resolveBackoff(s, key, file),
      ...(s.fallback !== undefined ? { fallback: s.fallback } : {}),
      role: s.role ?? 'step',
      ...(covered ? { covers: covered } : {}),
      after: [...deps],
    };
  });
  const cycle = findCycle(after);
  if (cycle) throw invalid(file, `steps.${index.get(cycle[0]!)}: the steps form a cycle: ${cycle.join(' → ')}`);

  // Kahn's algorithm, declaration order among the ready steps.
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < steps.length) {
    const next = steps.find((s) => !done.has(s.id) && s.after.every((d) => done.has(d)))!;
    done.add(next.id);
    order.push(next.id);
  }
  const ordered = order.map((id) => steps.find((s) => s.id === id)!);
  return {
    name: doc.name,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    trigger: { events: doc.trigger?.events ?? [] },
    priority: doc.priority ?? PIPELINE_DEFAULTS.priority,
    steps: ordered,
    order,
    document: doc,
  };
}
