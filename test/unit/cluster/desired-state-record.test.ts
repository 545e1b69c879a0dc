/**
 * The desired-state record (host/cluster/desired-state-record.ts): how each change becomes the
 * next record, with the registry's rules, and how a record from the bucket is read — anything
 * that is not this schema's record of this key is refused with a code, never half-read.
 */
import { describe, expect, it } from 'vitest';
import { DESIRED_SCHEMA, type DesiredRecord, nextRecord, parseDesiredRecord } from '../../../host/cluster/desired-state-record.js';
import type { DesiredVersion } from '../../../host/versions/desired-state-port.js';
import { codeOf } from '../../helpers/errors.js';

const digest = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const v = (version: string, n: number): DesiredVersion => ({ version, digest: digest(n), manifest: { name: 'echo', version, digest: digest(n) } });
const origin = { host: 'h1', at: new Date('2026-12-08T00:00:00Z'), retain: 2 };
const who = { actor: 'ops', reason: 'because' };
const deploy = (target: DesiredVersion, strategy: 'immediate' | 'canary' | 'blue-green' = 'immediate', canaryWeight = 10) =>
  ({ kind: 'deploy', target, strategy, canaryWeight }) as const;

function chain(...steps: Array<(r: DesiredRecord | null) => DesiredRecord | null>): DesiredRecord {
  let r: DesiredRecord | null = null;
  for (const step of steps) r = step(r) ?? r;
  return r!;
}

describe('nextRecord', () => {
  it('a first deploy makes a record; the next one keeps the old version as previous and retained', () => {
    const r = chain(
      (c) => nextRecord('echo', c, deploy(v('1.0.0', 1)), who, origin),
      (c) => nextRecord('echo', c, deploy(v('2.0.0', 2)), who, origin),
    );
    expect(r.schema).toBe(DESIRED_SCHEMA);
    expect(r.active?.version).toBe('2.0.0');
    expect(r.previous?.version).toBe('1.0.0');
    expect(r.retained.map((x) => x.version)).toEqual(['2.0.0', '1.0.0']);
    expect(r.change).toMatchObject({ kind: 'deploy', version: '2.0.0', actor: 'ops', reason: 'because', host: 'h1', automatic: false });
  });

  it('deploying what is desired already writes nothing', () => {
    const r = chain((c) => nextRecord('echo', c, deploy(v('1.0.0', 1)), who, origin));
    expect(nextRecord('echo', r, deploy(v('1.0.0', 1)), who, origin)).toBeNull();
  });

  it('retains at most retain + 2 versions, newest first', () => {
    let r: DesiredRecord | null = null;
    for (let i = 1; i <= 6; i++) r = nextRecord('echo', r, deploy(v(`${i}.0.0`, i)), who, origin);
    expect(r!.retained.map((x) => x.version)).toEqual(['6.0.0', '5.0.0', '4.0.0', '3.0.0']);
  });

  it('canary → weight → promote; canary → abort', () => {
    const base = chain((c) => nextRecord('echo', c, deploy(v('1.0.0', 1)), who, origin));
    const canary = nextRecord('echo', base, deploy(v('2.0.0', 2), 'canary', 20), who, origin)!;
    expect(canary.canary).toMatchObject({ version: '2.0.0', weight: 20 });
    expect(canary.active?.version).toBe('1.0.0');
    const weighted = nextRecord('echo', canary, { kind: 'canary-weight', weight: 50 }, who, origin)!;
    expect(weighted.canary?.weight).toBe(50);
    const promoted = nextRecord('echo', weighted, { kind: 'promote' }, who, origin)!;
    expect([promoted.active?.version, promoted.previous?.version, promoted.canary]).toEqual(['2.0.0', '1.0.0', null]);
    expect(promoted.active).not.toHaveProperty('weight');
    const aborted = nextRecord('echo', canary, { kind: 'abort' }, who, origin)!;
    expect([aborted.active?.version, aborted.canary]).toEqual(['1.0.0', null]);
  });

  it('refuses what the registry refuses: a canary with nothing active, promote or weight without a canary, rollback during a canary', () => {
    expect(codeOf(() => nextRecord('echo', null, deploy(v('1.0.0', 1), 'canary'), who, origin))).toBe('LN_ERR_VERSION_STATE');
    const base = chain((c) => nextRecord('echo', c, deploy(v('1.0.0', 1)), who, origin));
    expect(codeOf(() => nextRecord('echo', base, { kind: 'promote' }, who, origin))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => nextRecord('echo', base, { kind: 'canary-weight', weight: 5 }, who, origin))).toBe('LN_ERR_VERSION_STATE');
    expect(nextRecord('echo', base, { kind: 'abort' }, who, origin)).toBeNull();
    const canary = nextRecord('echo', base, deploy(v('2.0.0', 2), 'canary'), who, origin)!;
    expect(codeOf(() => nextRecord('echo', canary, { kind: 'rollback', to: '1.0.0' }, who, origin))).toBe('LN_ERR_VERSION_STATE');
  });

  it('rolls back to a retained version only', () => {
    const r = chain(
      (c) => nextRecord('echo', c, deploy(v('1.0.0', 1)), who, origin),
      (c) => nextRecord('echo', c, deploy(v('2.0.0', 2)), who, origin),
    );
    const back = nextRecord('echo', r, { kind: 'rollback', to: '1.0.0' }, { ...who, automatic: true }, origin)!;
    expect([back.active?.version, back.previous?.version, back.change.kind, back.change.automatic]).toEqual(['1.0.0', '2.0.0', 'rollback', true]);
    expect(codeOf(() => nextRecord('echo', r, { kind: 'rollback', to: '9.9.9' }, who, origin))).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(nextRecord('echo', r, { kind: 'rollback', to: '2.0.0' }, who, origin)).toBeNull();
  });
});

describe('parseDesiredRecord', () => {
  const good = nextRecord('echo', null, deploy(v('1.0.0', 1)), who, origin)!;
  const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

  it('reads back what nextRecord wrote, keeping keys a newer host added', () => {
    const record = parseDesiredRecord('echo', bytes({ ...good, future: { x: 1 } }));
    expect(record.active?.version).toBe('1.0.0');
    expect((record as Record<string, unknown>).future).toEqual({ x: 1 });
  });

  it.each([
    ['a key that is not a plugin name', 'Foreign_Key', good],
    ['not JSON', 'echo', 'not json at all'],
    ['not UTF-8', 'echo', new Uint8Array([0xff, 0xfe, 0x7b])],
    ['another schema', 'echo', { ...good, schema: 'liquid-nano/desired-state@9' }],
    ['a record of another name', 'echo', { ...good, name: 'other' }],
    ['a digest that is not one', 'echo', { ...good, active: { ...good.active, digest: 'sha256:../../etc/passwd' } }],
    ['a bad version', 'echo', { ...good, active: { ...good.active, version: '1.0' } }],
    ['a weight over 100', 'echo', { ...good, canary: { ...good.active, weight: 101 } }],
    ['an unknown strategy', 'echo', { ...good, strategy: 'yolo' }],
    ['a number', 'echo', 42],
    ['null', 'echo', null],
  ])('refuses %s with LN_ERR_VERSION_DESIRED_STATE_INVALID', (_, key, value) => {
    const raw = value instanceof Uint8Array ? value : bytes(value);
    expect(codeOf(() => parseDesiredRecord(key, raw))).toBe('LN_ERR_VERSION_DESIRED_STATE_INVALID');
  });

  it('refuses a record over 512 KiB before parsing it', () => {
    expect(codeOf(() => parseDesiredRecord('echo', new Uint8Array(600 * 1024).fill(0x20)))).toBe('LN_ERR_VERSION_DESIRED_STATE_INVALID');
  });
});
