// Pipeline files: the strict schema and the DAG rules, with hostile documents; YAML; the
// published JSON Schema; `when` conditions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLnError } from '../../../host/errors/ln-error.js';
import { evaluate } from '../../../host/pipelines/condition.js';
import { parsePipeline } from '../../../host/pipelines/pipeline-definition.js';
import { parsePipelineText, readPipelineFile } from '../../../host/pipelines/pipeline-file.js';
import { pipelineJsonSchema } from '../../../host/pipelines/pipeline-schema.js';
import { ROOT } from '../../helpers/cli.js';

const step = (id: string, extra: Record<string, unknown> = {}) => ({ id, component: 'echo-c', ...extra });
const doc = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'p', steps, ...extra });

/** The coded error's message for an invalid document. */
function reason(value: unknown, file = 'p.json'): string {
  try {
    parsePipeline(value, file);
  } catch (err) {
    if (isLnError(err) && err.code === 'LN_ERR_CONFIG_PIPELINE_INVALID') return err.message;
    throw err;
  }
  throw new Error('accepted');
}

describe('pipeline validation', () => {
  it('accepts the default pipeline and orders steps topologically', async () => {
    const d = await readPipelineFile(join(ROOT, 'deploy', 'pipelines', 'sensor.json'));
    expect(d.order).toEqual(['transform', 'stats', 'store', 'stats-fallback']);
    expect(d.steps.find((s) => s.id === 'stats')).toMatchObject({
      retries: 2,
      timeoutMs: 2000,
      backoff: { initialMs: 100, maxMs: 5000, factor: 2 },
      fallback: 'stats-fallback',
      after: ['transform'],
    });
    expect(d.steps.find((s) => s.id === 'stats-fallback')).toMatchObject({ covers: 'stats', after: ['transform', 'stats'] });
    expect(Object.isFrozen(d.steps[0]!.after)).toBe(true);
    const later = parsePipeline(doc([step('b', { input: 'a' }), step('a')]), 'p.json');
    expect(later.order).toEqual(['a', 'b']);
  });

  it('refuses cycles, naming the steps', () => {
    expect(reason(doc([step('a', { input: 'b' }), step('b', { input: 'a' })]))).toContain('the steps form a cycle: a → b → a');
    expect(reason(doc([step('a', { input: 'c' }), step('b', { input: 'a' }), step('c', { when: { step: 'b', status: 'succeeded' } })]))).toMatch(
      /cycle: a → c → b → a/,
    );
    expect(reason(doc([step('a', { input: 'a' })]))).toContain('steps.0.input: a step cannot take its own output');
  });

  it('refuses unknown references, duplicates and inconsistent fallbacks with the key path', () => {
    expect(reason(doc([step('a', { input: ['event', 'zz'] })]))).toContain('Invalid pipeline p.json: steps.0.input: unknown step "zz"');
    expect(reason(doc([step('a', { when: { all: [{ step: 'x', status: 'failed' }] } })]))).toContain('steps.0.when: unknown step "x"');
    expect(reason(doc([step('a'), step('a')]))).toContain('steps.1.id: "a" is also the id of steps.0');
    expect(reason(doc([step('event')]))).toContain('steps.0.id');
    expect(reason(doc([step('a', { fallback: 'f' })]))).toContain('steps.0.fallback: unknown step "f"');
    expect(reason(doc([step('a', { fallback: 'b' }), step('b')]))).toContain('must be declared with "role": "fallback"');
    expect(reason(doc([step('a'), step('f', { role: 'fallback' })]))).toContain('steps.1.role: no step names "f" as its fallback');
    expect(reason(doc([step('a', { fallback: 'f' }), step('b', { fallback: 'f' }), step('f', { role: 'fallback' })]))).toContain(
      '"f" is already the fallback of "a"',
    );
    expect(reason(doc([step('a', { fallback: 'f' }), step('f', { role: 'fallback', input: 'a' })]))).toContain(
      'steps.1.input: a fallback cannot take the output of "a"',
    );
    expect(reason(doc([step('a', { fallback: 'f' }), step('f', { role: 'fallback' }), step('b', { input: 'f' })]))).toContain(
      'steps.2.input: "f" is a fallback step',
    );
  });

  it('refuses wrong types, unknown keys and out-of-range values', () => {
    expect(reason(doc([step('a', { retries: 'two' })]))).toContain('steps.0.retries');
    expect(reason(doc([step('a', { retries: 11 })]))).toContain('steps.0.retries');
    expect(reason(doc([step('a', { extra: true })]))).toContain('steps.0');
    expect(reason({ ...doc([step('a')]), trigger: { events: 'sensor.*' } })).toContain('trigger.events');
    expect(reason(doc([step('a', { component: 'Bad Name' })]))).toContain('steps.0.component');
    expect(reason(doc([step('a', { timeout: 'forever' })]))).toContain('steps.0.timeout');
    expect(reason(doc([step('a', { timeout: '11m' })]))).toContain('steps.0.timeout: at most 600000 ms');
    expect(reason(doc([step('a', { backoff: { initial: '2s', max: '1s' } })]))).toContain('steps.0.backoff.max');
    expect(reason(doc([step('a', { when: { path: 'data.x; process.exit()', equals: 1 } })]))).toContain('steps.0.when');
    expect(reason(doc([]))).toContain('steps');
    expect(reason([1, 2])).toContain('a pipeline is a JSON (or YAML) object');
    expect(reason(null)).toContain('object');
  });

  it('refuses huge and deeply nested documents without crashing', () => {
    expect(reason(doc(Array.from({ length: 65 }, (_, i) => step(`s${i}`))))).toContain('steps');
    let deep: Record<string, unknown> = { step: 'a', status: 'failed' };
    for (let i = 0; i < 100_000; i++) deep = { not: deep };
    expect(reason(doc([step('a'), step('b', { when: deep })]))).toContain('nested deeper than 16 levels');
    expect(() => parsePipelineText(`{"name":"p","description":"${'x'.repeat(300_000)}","steps":[]}`, 'p.json')).toThrow(/over the limit of 262144/);
    // Issue 14: one JSON depth limit for every file, JSON or YAML.
    expect(() => parsePipelineText(`{"name":"p","steps":[],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'p.json')).toThrow(/nested deeper than 128 levels/);
    expect(() => parsePipelineText(`name: p\nsteps: []\nx: ${'['.repeat(200)}${']'.repeat(200)}\n`, 'p.yaml')).toThrow(/nested deeper than 128 levels/);
  });

  it('reads YAML, refuses YAML alias bombs and a name that is not the file name', () => {
    const yaml = 'name: p\ntrigger:\n  events: ["a.*"]\nsteps:\n  - id: a\n    component: echo-c\n    when: { path: $.data.n, equals: 1 }\n';
    expect(parsePipelineText(yaml, '/x/p.yaml').order).toEqual(['a']);
    expect(() => parsePipelineText(yaml, '/x/q.yaml')).toThrow(/name: "p" must be the file's name, "q"/);
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
    expect(() => parsePipelineText(bomb, '/x/p.yaml')).toThrow(/LN_ERR_CONFIG_PIPELINE_INVALID|not YAML|alias/i);
    expect(() => parsePipelineText('{ not json', '/x/p.json')).toThrow(/p\.json: not JSON/);
  });

  it('docs/pipeline.schema.json is up to date (npm run docs:schema)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'pipeline.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(pipelineJsonSchema())));
  });
});

describe('when conditions', () => {
  const input = { type: 'sensor.reading', data: { celsius: 21.5, tags: ['roof', 'north'], note: 'all fine', nested: { list: [{ id: 7 }] } } };
  const scope = { input, status: (id: string) => (({ a: 'succeeded', b: 'fallback', c: 'skipped' }) as Record<string, string>)[id] };
  it('compares JSON paths and step statuses structurally', () => {
    expect(evaluate({ path: '$.data.celsius', equals: 21.5 }, scope)).toBe(true);
    expect(evaluate({ path: '$.data.celsius', equals: '21.5' }, scope)).toBe(false);
    expect(evaluate({ path: '$.data.tags', contains: 'roof' }, scope)).toBe(true);
    expect(evaluate({ path: '$.data.note', contains: 'fine' }, scope)).toBe(true);
    expect(evaluate({ path: '$.data.nested.list[0].id', equals: 7 }, scope)).toBe(true);
    expect(evaluate({ path: '$.data.nested.list[3].id', exists: false }, scope)).toBe(true);
    expect(evaluate({ path: '$.data.constructor', exists: true }, scope)).toBe(false);
    expect(evaluate({ path: '$.data.__proto__', exists: true }, scope)).toBe(false);
    expect(evaluate({ step: 'b', status: 'failed' }, scope)).toBe(true);
    expect(evaluate({ all: [{ step: 'a', status: 'succeeded' }, { not: { step: 'c', status: 'succeeded' } }] }, scope)).toBe(true);
    expect(
      evaluate(
        {
          any: [
            { path: '$.type', equals: 'x' },
            { path: '$.type', contains: 'sensor' },
          ],
        },
        scope,
      ),
    ).toBe(true);
  });
});
