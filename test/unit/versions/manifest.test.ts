import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LnError } from '../../../host/errors/ln-error.js';
import { manifestJsonSchema, parseManifest, readManifest } from '../../../host/versions/manifest.js';
import { ROOT } from '../../helpers/cli.js';
import { codeOfAsync } from '../../helpers/errors.js';

const minimal = { name: 'telemetry', version: '1.2.0' };

function reasonOf(value: unknown): string {
  try {
    parseManifest(value, 'm.json', '/base');
  } catch (err) {
    expect((err as LnError).code).toBe('LN_ERR_MANIFEST_INVALID');
    return (err as LnError).message;
  }
  throw new Error('accepted');
}

describe('plugin manifest', () => {
  it('fills defaults and resolves the component against the manifest folder', () => {
    const m = parseManifest({ ...minimal, component: './t.wasm' }, 'm.json', '/base');
    expect(m).toMatchObject({ name: 'telemetry', component: '/base/t.wasm', events: ['*'], priority: 0, config: {}, capabilities: {}, limits: {} });
  });

  it('accepts the documented example', () => {
    const m = parseManifest(
      {
        name: 'telemetry',
        version: '1.2.0',
        component: './telemetry.wasm',
        events: ['sensor.*'],
        capabilities: {
          env: { LEVEL: 'info' },
          http: { allow: ['api.example.com:443'] },
          fs: [{ host: './data', guest: '/data', mode: 'ro' }],
          kv: { namespace: 'telemetry' },
        },
        limits: { memory: '64MiB', timeout: '500ms', fuel: 1000000000, concurrency: 16, maxPayload: '1MiB' },
      },
      'm.json',
      '/base',
    );
    expect(m.limits.fuel).toBe(1000000000);
  });

  it.each([
    [{ ...minimal, surprise: 1 }, 'surprise'],
    [{ ...minimal, name: 'Bad Name' }, 'name'],
    [{ ...minimal, version: '1.2' }, 'version'],
    [{ ...minimal, limits: { memory: '64MiB', cpu: 2 } }, 'limits'],
    [{ ...minimal, limits: { concurrency: 0 } }, 'limits.concurrency'],
    [{ ...minimal, capabilities: { sockets: true } }, 'capabilities'],
    [{ ...minimal, events: ['a b'] }, 'events.0'],
    [{ ...minimal, digest: 'md5:abc' }, 'digest'],
    [[minimal], 'JSON object'],
    [null, 'JSON object'],
  ])('refuses %j, naming %s', (value, key) => {
    expect(reasonOf(value)).toContain(key);
  });

  it('reads files, refusing missing, non-JSON and oversized ones with the manifest code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-manifest-'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ ...minimal, component: 'c.wasm' }));
    writeFileSync(join(dir, 'bad.json'), '{ "name": ');
    writeFileSync(join(dir, 'deep.json'), `{"name":"x","version":"1.0.0","config":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    writeFileSync(join(dir, 'huge.json'), `{"name":"x","version":"1.0.0","description":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    expect((await readManifest(join(dir, 'ok.json'))).component).toBe(join(dir, 'c.wasm'));
    for (const f of ['missing.json', 'bad.json', 'huge.json', 'deep.json']) {
      expect(await codeOfAsync(readManifest(join(dir, f)))).toBe('LN_ERR_MANIFEST_INVALID');
    }
    await expect(readManifest(join(dir, 'deep.json'))).rejects.toThrow(/nested deeper than 128 levels/);
  });

  it('the example plugins ship valid manifests', async () => {
    for (const name of ['echo-c', 'echo-cpp', 'echo-rust', 'echo-ts']) {
      const m = await readManifest(join(ROOT, 'components', name, 'manifest.json'));
      expect(m.name).toBe(name);
    }
  });

  it('docs/manifest.schema.json is up to date (npm run docs:schema)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'manifest.schema.json'), 'utf8'));
    expect(committed).toEqual(manifestJsonSchema());
  });
});
