import { describe, expect, it } from 'vitest';
import { diffCapabilities, formatDiff } from '../../../host/capabilities/grant-diff.js';
import { checkLink, linkProblems } from '../../../host/capabilities/link-check.js';
import { OPEN_POLICY, parsePolicy } from '../../../host/capabilities/policy.js';
import type { ComponentShape, WorldItem } from '../../../host/engine/component-types/wit-types.js';
import { errorOf } from '../../helpers/errors.js';

function shape(...names: string[]): ComponentShape {
  const imports = names.map((name): WorldItem => ({ kind: 'interface', name, functions: [], types: [] }));
  return { imports, exports: [] } as unknown as ComponentShape;
}

describe('static link check', () => {
  it('links every WASI 0.2 and plugin 0.1 interface the host provides, granted or closed', () => {
    const s = shape(
      'wasi:cli/environment@0.2.0',
      'wasi:filesystem/types@0.2.3',
      'wasi:sockets/tcp@0.2.0',
      'wasi:http/outgoing-handler@0.2.0',
      'liquid-nano:plugin/kv@0.1.0',
      'wasi:io/streams@0.2.9',
    );
    expect(linkProblems(s, OPEN_POLICY)).toEqual([]);
    expect(() => checkLink(s, OPEN_POLICY, 'c')).not.toThrow();
  });

  it('refuses unknown interfaces and unprovided versions with LN_ERR_LINK_IMPORT_MISSING listing each', () => {
    const err = errorOf(() =>
      checkLink(shape('wasi:nn/graph@0.2.0', 'wasi:cli/environment@0.3.0', 'liquid-nano:plugin/kv@0.3.0', 'wasi:clocks/wall-clock@0.2.0'), OPEN_POLICY, 'c'),
    );
    expect(err.code).toBe('LN_ERR_LINK_IMPORT_MISSING');
    expect(err.message).toContain('wasi:nn/graph@0.2.0 (not provided by this host)');
    expect(err.message).toContain('wasi:cli/environment@0.3.0 (version 0.3.0 (this host provides 0.2.x))');
    expect(err.message).toContain('liquid-nano:plugin/kv@0.3.0');
    expect(err.message).not.toContain('wall-clock');
  });

  it('refuses capabilities the policy denies with LN_ERR_CAP_DENIED naming the policy line', () => {
    const policy = parsePolicy({ deny: ['sockets', 'outgoing HTTP'] }, '/etc/lnano.json', '/');
    const err = errorOf(() => checkLink(shape('wasi:sockets/tcp@0.2.0', 'wasi:http/types@0.2.0', 'wasi:random/random@0.2.0'), policy, 'c'));
    expect(err.code).toBe('LN_ERR_CAP_DENIED');
    expect(err.message).toContain('wasi:sockets/tcp@0.2.0, wasi:http/types@0.2.0');
    expect(err.fix).toContain('policy.deny in /etc/lnano.json');
  });
});

describe('capability diff', () => {
  const active = {
    env: { LEVEL: 'info' },
    fs: [{ host: './data', guest: '/data', mode: 'ro' as const }],
    http: { allow: ['api.example.com'], maxResponse: '1MiB' },
    kv: { namespace: 'telemetry', maxTotal: '16MiB' },
  };

  it('an identical candidate adds and removes nothing', () => {
    expect(diffCapabilities(active, structuredClone(active))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('a first deploy adds everything it asks for', () => {
    const diff = diffCapabilities(undefined, active);
    expect(diff.added.map((c) => c.capability).sort()).toEqual(['environment', 'filesystem', 'key-value', 'outgoing HTTP']);
    expect(diff.removed).toEqual([]);
  });

  it('names additions (incl. ro → rw and raised quotas), removals and value changes', () => {
    const diff = diffCapabilities(active, {
      env: { LEVEL: 'debug', TOKEN: 'x' },
      fs: [{ host: './data', guest: '/data', mode: 'rw' }],
      http: { allow: ['api.example.com', 'evil.example.net'], maxResponse: '512KiB' },
      kv: { namespace: 'telemetry', maxTotal: '64MiB' },
    });
    expect(formatDiff(diff).sort()).toEqual(
      [
        '+ environment: TOKEN',
        '+ filesystem: /data ← ./data (rw)',
        '+ key-value: maxTotal 16MiB → 64MiB',
        '+ outgoing HTTP: evil.example.net',
        '- filesystem: /data ← ./data (ro)',
        '- outgoing HTTP: maxResponse 1MiB → 512KiB',
        '~ environment: LEVEL (new value)',
      ].sort(),
    );
  });

  it("names the owner of the candidate's kv namespace, and an unchanged namespace stays unchanged", () => {
    const owned = { namespace: 'telemetry', owner: 'telemetry', component: 'telemetry' };
    expect(diffCapabilities(active, structuredClone(active), owned).added).toEqual([]);
    expect(formatDiff(diffCapabilities(undefined, { kv: {} }, { ...owned, owner: null }))).toEqual([
      "+ key-value: namespace telemetry (unclaimed, becomes telemetry's)",
    ]);
    const moved = diffCapabilities(
      active,
      { ...active, kv: { namespace: 'readings', maxTotal: '16MiB' } },
      { namespace: 'readings', owner: 'ingest', component: 'telemetry' },
    );
    expect(formatDiff(moved)).toEqual(['+ key-value: namespace readings (owned by ingest, shared by the operator policy)', '- key-value: namespace telemetry']);
  });
});

describe('docs/capabilities.md', () => {
  it('has a row for every capability with its flag and what a guest sees without it', async () => {
    const { readFileSync } = await import('node:fs');
    const { CAPABILITIES } = await import('../../../host/capabilities/catalog.js');
    const doc = readFileSync(new URL('../../../docs/capabilities.md', import.meta.url), 'utf8');
    const rows = new Map(
      doc
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => [l.split('|')[1]!.trim(), l.replace(/\\\|/g, '|')]),
    );
    for (const entry of CAPABILITIES) {
      const row = rows.get(entry.capability);
      expect(row, entry.capability).toBeDefined();
      expect(row, entry.capability).toContain(entry.withoutGrant);
      if (entry.flag) expect(row, entry.capability).toContain(entry.flag);
    }
  });
});
