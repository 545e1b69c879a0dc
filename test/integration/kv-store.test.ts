// The kv store with real instances: data outlives the instance that wrote it and the process
// that ran it, and an instance killed in the middle of writing leaves the store consistent and
// unlocked for the next one.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedGrants, type KvGrant } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import { type Component, findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture, ROOT } from '../helpers/cli.js';
import { codeOfAsync } from '../helpers/errors.js';

let component: Component;
const instances: Instance[] = [];
const dir = mkdtempSync(join(tmpdir(), 'lnano-kv-store-'));

beforeAll(async () => {
  component = await new Engine().load(readFileSync(fixture('net-probe')), 'net-probe');
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
});

function kvGrant(file: string, overrides: Partial<KvGrant> = {}): KvGrant {
  return { namespace: 'probe', path: join(dir, file), maxKeys: 100_000, maxKeyBytes: 64, maxValueBytes: 1024, maxTotalBytes: 64 << 20, ...overrides };
}

async function start(kv: KvGrant): Promise<Instance> {
  const base = closedGrants('net-probe');
  const instance = await Instance.start(component, { linker: linkerSpec({ ...base, plugin: { ...base.plugin, kv } }) });
  instances.push(instance);
  return instance;
}

async function call(instance: Instance, name: string, args: unknown[], timeoutMs?: number): Promise<{ ok: boolean; value: unknown }> {
  const target = findExport(component.shape, name);
  if (!target) throw new Error(`net-probe has no export ${name}`);
  const outcome = await instance.call(target, args, timeoutMs === undefined ? {} : { timeoutMs });
  return { ok: !outcome.errResult, value: outcome.value };
}

describe('kv store: persistence', () => {
  it('a new instance sees what a disposed one wrote, in key order', async () => {
    const grant = kvGrant('persist.sqlite3');
    const first = await start(grant);
    expect((await call(first, 'kv-set', ['b', 'two'])).ok).toBe(true);
    expect((await call(first, 'kv-set', ['a', 'one'])).ok).toBe(true);
    expect((await call(first, 'kv-set-size', ['c', 1024])).ok).toBe(true);
    await first.dispose();

    const second = await start(grant);
    expect(await call(second, 'kv-get', ['a'])).toEqual({ ok: true, value: 'one' });
    expect(await call(second, 'kv-get', ['c'])).toEqual({ ok: true, value: 'x'.repeat(1024) });
    expect(await call(second, 'kv-list', ['', 10])).toEqual({ ok: true, value: ['a', 'b', 'c'] });
    expect(await call(second, 'kv-list', ['', 2])).toEqual({ ok: true, value: ['a', 'b'] });
    expect(await call(second, 'kv-delete', ['b'])).toEqual({ ok: true, value: true });
    expect(await call(second, 'kv-list', ['', 10])).toEqual({ ok: true, value: ['a', 'c'] });
  });

  it('data written by another process is there after a restart', async () => {
    const grant = kvGrant('restart.sqlite3');
    const dist = (p: string): string => pathToFileURL(join(ROOT, 'dist', 'host', p)).href;
    const script = `
      import { readFileSync } from 'node:fs';
      const { Engine } = await import(${JSON.stringify(dist('engine/engine.js'))});
      const { findExport } = await import(${JSON.stringify(dist('engine/component.js'))});
      const { closedGrants } = await import(${JSON.stringify(dist('capabilities/grants.js'))});
      const { linkerSpec } = await import(${JSON.stringify(dist('capabilities/linker-spec.js'))});
      const { Instance } = await import(${JSON.stringify(dist('sandbox/instance.js'))});
      const c = await new Engine().load(readFileSync(${JSON.stringify(fixture('net-probe'))}), 'net-probe');
      const base = closedGrants('net-probe');
      const grants = { ...base, plugin: { ...base.plugin, kv: ${JSON.stringify(grant)} } };
      const instance = await Instance.start(c, { linker: linkerSpec(grants) });
      const r = await instance.call(findExport(c.shape, 'kv-set'), ['from', 'the other process']);
      await instance.dispose();
      process.stdout.write(JSON.stringify(r.errResult));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout).toBe('false');
    const instance = await start(grant);
    expect(await call(instance, 'kv-get', ['from'])).toEqual({ ok: true, value: 'the other process' });
  });
});

describe('kv store: failures', () => {
  it('an instance killed while writing leaves the store consistent and unlocked', async () => {
    const grant = kvGrant('killed.sqlite3');
    const writer = await start(grant);
    // Far more than fits in the deadline: the worker is terminated in the middle of the fill.
    expect(await codeOfAsync(call(writer, 'kv-fill', ['k', 1_000_000, 16], 300))).toBe('LN_ERR_BUDGET_TIME');
    expect(writer.alive).toBe(false);

    const next = await start(grant);
    expect(await call(next, 'kv-set', ['after', 'kill'])).toEqual({ ok: true, value: undefined });
    expect(await call(next, 'kv-get', ['after'])).toEqual({ ok: true, value: 'kill' });

    const db = new Database(grant.path, { readonly: true });
    try {
      const actual = db.prepare('SELECT count(*) AS keys, sum(length(key) + length(value)) AS bytes FROM kv_entries WHERE namespace = ?').get('probe');
      const usage = db.prepare('SELECT keys, bytes FROM kv_usage WHERE namespace = ?').get('probe');
      expect(usage).toEqual(actual);
    } finally {
      db.close();
    }
  });

  it('a store that cannot be opened is an internal error for the guest, and the host carries on', async () => {
    const blocker = join(dir, 'not-a-dir');
    const grant = kvGrant('x', { path: join(blocker, 'kv.sqlite3') });
    writeFileSync(blocker, ''); // a file where the store's folder should be
    const instance = await start(grant);
    const r = await call(instance, 'kv-set', ['k', 'v']);
    expect(r.ok).toBe(false);
    expect(r.value).toMatch(/^internal: /);
    expect(instance.alive).toBe(true);
    expect((await call(instance, 'kv-get', ['k'])).value).toMatch(/^internal: /);
  });
});
