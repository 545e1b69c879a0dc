import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../host/versions/artifact-store.js';
import { AuditTrail, entryHash, GENESIS_HASH } from '../../host/versions/audit-trail.js';
import { DEPLOY_STATUSES, DEPLOY_STEPS, STRATEGIES } from '../../host/versions/deployment.js';
import { Registry } from '../../host/versions/registry.js';
import { REGISTRY_SCHEMA_VERSION, RegistryDatabase } from '../../host/versions/registry-database.js';
import { fixture } from '../helpers/cli.js';
import { codeOf } from '../helpers/errors.js';

const open: RegistryDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** The registry, its audit trail and the artifact store on one data dir, with a clock that ticks a second per reading. */
function openAll(dataDir = mkdtempSync(join(tmpdir(), 'lnano-registry-'))) {
  let t = Date.parse('2025-01-01T00:00:00Z');
  const now = (): Date => new Date((t += 1000));
  const db = new RegistryDatabase(dataDir);
  open.push(db);
  const audit = new AuditTrail(db, { now });
  return { dataDir, db, audit, registry: new Registry(db, audit, { now }), store: new ArtifactStore(dataDir) };
}

/** Stores one fixture component per version (each made unique by a custom section-free suffix) and binds it. */
async function bind(ctx: ReturnType<typeof openAll>, name: string, versions: string[], base = 'strings'): Promise<Record<string, string>> {
  const bytes = readFileSync(fixture(base));
  const digests: Record<string, string> = {};
  for (const v of versions) {
    const digest = await ctx.store.put(new Uint8Array(Buffer.concat([bytes, Buffer.from(v)])));
    ctx.registry.bindVersion(name, v, digest, { name, version: v, events: ['*'] }, 'ops');
    digests[v] = digest;
  }
  return digests;
}

function actions(audit: AuditTrail, name?: string): string[] {
  return audit.list(name === undefined ? {} : { name }).map((e) => e.action);
}

/** A raw connection to the registry file, as someone tampering with it would open it. */
function raw(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'registry.sqlite3'));
}

describe('registry database', () => {
  it('creates a WAL database at the current schema version, and reopens it without migrating again', () => {
    const { dataDir, db } = openAll();
    expect(db.path).toBe(join(dataDir, 'registry.sqlite3'));
    expect(db.schemaVersion).toBe(REGISTRY_SCHEMA_VERSION);
    db.close();
    const again = new RegistryDatabase(dataDir);
    open.push(again);
    expect(again.schemaVersion).toBe(REGISTRY_SCHEMA_VERSION);
    const r = raw(dataDir);
    expect(r.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(r.pragma('user_version', { simple: true })).toBe(REGISTRY_SCHEMA_VERSION);
    // The row hosts before issue 16 read instead of user_version: one, at the same version, so
    // such a host put back on this data dir opens the file rather than failing on its first migration.
    expect(r.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: REGISTRY_SCHEMA_VERSION }]);
    r.close();
    expect(again.integrityCheck()).toEqual(['ok']);
  });

  it('refuses a registry written by a newer host, and a file that is not a database', () => {
    const { dataDir, db } = openAll();
    db.close();
    const r = raw(dataDir);
    r.pragma(`user_version = ${REGISTRY_SCHEMA_VERSION + 1}`);
    r.close();
    expect(codeOf(() => new RegistryDatabase(dataDir))).toBe('LN_ERR_VERSION_REGISTRY');
    expect(() => new RegistryDatabase(dataDir)).toThrow(/newer Liquid Nano/);
    const junk = mkdtempSync(join(tmpdir(), 'lnano-registry-junk-'));
    writeFileSync(join(junk, 'registry.sqlite3'), 'this is not a database, just some text '.repeat(200));
    expect(codeOf(() => new RegistryDatabase(junk))).toBe('LN_ERR_VERSION_REGISTRY');
  });

  it('opens a registry written before user_version (issue 16), with its data, and an older host still can', async () => {
    const ctx = openAll();
    await bind(ctx, 'telemetry', ['1.0.0']);
    ctx.db.close();
    // The layout hosts up to issue 16 wrote: the same tables, the version in a schema_version
    // table, user_version 0.
    const r = raw(ctx.dataDir);
    r.pragma('user_version = 0');
    r.exec('DROP TABLE schema_version; CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (1);');
    r.close();
    const { db, registry, audit } = openAll(ctx.dataDir);
    expect(db.schemaVersion).toBe(REGISTRY_SCHEMA_VERSION);
    expect(registry.versions('telemetry').map((v) => v.version)).toEqual(['1.0.0']);
    expect(audit.verify()).toMatchObject({ ok: true });
    db.close();
    const after = raw(ctx.dataDir);
    // Left as an older host reads it, and nothing migrated twice.
    expect(after.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    expect(after.pragma('user_version', { simple: true })).toBe(REGISTRY_SCHEMA_VERSION);
    // A file of that layout from a newer host is refused, not misread.
    after.pragma('user_version = 0');
    after.prepare('UPDATE schema_version SET version = ?').run(REGISTRY_SCHEMA_VERSION + 1);
    after.close();
    expect(() => new RegistryDatabase(ctx.dataDir)).toThrow(/newer Liquid Nano/);
  });

  it('commits a registry change and its audit entry together, or neither', async () => {
    const ctx = openAll();
    const [digest] = Object.values(await bind(ctx, 'telemetry', ['1.0.0']));
    const before = ctx.audit.count();
    expect(() =>
      ctx.db.transaction(() => {
        ctx.registry.bindVersion('telemetry', '2.0.0', digest!, { name: 'telemetry' }, 'ops');
        ctx.registry.beginDeploy('telemetry', '2.0.0', { strategy: 'immediate', actor: 'ops' });
        throw new Error('the capability check failed');
      }),
    ).toThrow('the capability check failed');
    expect(ctx.registry.version('telemetry', '2.0.0')).toBeUndefined();
    expect(ctx.registry.get('telemetry')).toBeUndefined();
    expect(ctx.audit.count()).toBe(before);
  });

  it('spells its CHECK lists exactly like the TypeScript constants', () => {
    const { dataDir } = openAll();
    const r = raw(dataDir);
    r.exec(`INSERT INTO versions (name, version, digest, manifest, created_at, created_by) VALUES ('a', '1.0.0', 'sha256:${'0'.repeat(64)}', '{}', 't', 'x')`);
    const insert = (strategy: string, step: string, status: string): string =>
      codeOf(() =>
        r
          .prepare(`INSERT OR REPLACE INTO deployments
      (name, deploy_version, strategy, weight, step, status, actor, started_at, updated_at) VALUES ('a', '1.0.0', ?, 0, ?, ?, 'x', 't', 't')`)
          .run(strategy, step, status),
      );
    for (const s of STRATEGIES) expect(insert(s, 'validate', 'deploying')).toBe('ok');
    for (const s of DEPLOY_STEPS) expect(insert('immediate', s, 'deploying')).toBe('ok');
    for (const s of DEPLOY_STATUSES) expect(insert('immediate', 'validate', s)).toBe('ok');
    expect(insert('rolling', 'validate', 'deploying')).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(insert('immediate', 'bake', 'deploying')).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(insert('immediate', 'validate', 'paused')).toBe('SQLITE_CONSTRAINT_CHECK');
    r.close();
  });
});

describe('versions are immutable', () => {
  it('binds name@version once; the same digest again is a no-op, other bytes or another manifest a conflict', async () => {
    const ctx = openAll();
    const digests = await bind(ctx, 'telemetry', ['1.0.0', '1.1.0']);
    const again = ctx.registry.bindVersion('telemetry', '1.0.0', digests['1.0.0']!, { name: 'telemetry', version: '1.0.0', events: ['*'] }, 'ops');
    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ name: 'telemetry', version: '1.0.0', digest: digests['1.0.0'], createdBy: 'ops' });
    expect(codeOf(() => ctx.registry.bindVersion('telemetry', '1.0.0', digests['1.1.0']!, {}, 'mallory'))).toBe('LN_ERR_VERSION_CONFLICT');
    expect(codeOf(() => ctx.registry.bindVersion('telemetry', '1.0.0', digests['1.0.0']!, { name: 'telemetry', events: ['x'] }, 'mallory'))).toBe(
      'LN_ERR_VERSION_CONFLICT',
    );
    expect(ctx.registry.version('telemetry', '1.0.0')!.digest).toBe(digests['1.0.0']);
    const refused = ctx.audit.list({ name: 'telemetry' }).filter((e) => e.action === 'refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ actor: 'mallory', version: '1.0.0', details: { attempted: 'deploy', code: 'LN_ERR_VERSION_CONFLICT' } });
    expect(refused[0]!.reason).toContain(digests['1.0.0']);
    expect(ctx.registry.versions('telemetry').map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
  });

  it('refuses malformed names, versions, digests and manifests', () => {
    const { registry } = openAll();
    const d = `sha256:${'1'.repeat(64)}`;
    expect(codeOf(() => registry.bindVersion('Bad Name', '1.0.0', d, {}, 'ops'))).toBe('LN_ERR_MANIFEST_INVALID');
    expect(codeOf(() => registry.bindVersion('ok', '1.0', d, {}, 'ops'))).toBe('LN_ERR_MANIFEST_INVALID');
    expect(codeOf(() => registry.bindVersion('ok', '1.0.0', '../x', {}, 'ops'))).toBe('LN_ERR_MANIFEST_INVALID');
    expect(codeOf(() => registry.bindVersion('ok', '1.0.0', d, [] as never, 'ops'))).toBe('LN_ERR_MANIFEST_INVALID');
  });

  it('cannot be edited through SQL either', async () => {
    const ctx = openAll();
    await bind(ctx, 'telemetry', ['1.0.0']);
    const r = raw(ctx.dataDir);
    expect(() => r.prepare("UPDATE versions SET digest = ? WHERE name = 'telemetry'").run(`sha256:${'f'.repeat(64)}`)).toThrow('versions are immutable');
    r.close();
  });
});

describe('deploy transitions', () => {
  it('immediate: begin → steps → activate → drain → retire → complete, every move audited', async () => {
    const ctx = openAll();
    const { registry, audit } = ctx;
    const digests = await bind(ctx, 'telemetry', ['1.0.0', '1.1.0']);
    let d = registry.beginDeploy('telemetry', '1.0.0', { strategy: 'immediate', actor: 'ops' });
    expect(d).toMatchObject({ active: null, previous: null, inProgress: true, deploy: { version: '1.0.0', step: 'validate', status: 'deploying' } });
    for (const step of ['capability-check', 'prepare', 'warm', 'probe'] as const) d = registry.advance('telemetry', step);
    d = registry.activate('telemetry', { actor: 'ops' });
    expect(d).toMatchObject({ active: '1.0.0', previous: null, inProgress: true, deploy: { step: 'swap', status: 'activated' } });
    registry.advance('telemetry', 'drain');
    registry.advance('telemetry', 'retire');
    d = registry.complete('telemetry');
    expect(d).toMatchObject({ active: '1.0.0', inProgress: false, deploy: { status: 'deployed', step: 'retire' } });

    registry.beginDeploy('telemetry', '1.1.0', { strategy: 'immediate', actor: 'ci', step: 'prepare' });
    d = registry.activate('telemetry', { actor: 'ci' });
    expect(d).toMatchObject({ active: '1.1.0', previous: '1.0.0' });
    const swap = audit.list({ name: 'telemetry' }).filter((e) => e.action === 'deployed')[1]!;
    expect(swap).toMatchObject({ actor: 'ci', version: '1.1.0', digest: digests['1.1.0'], fromVersion: '1.0.0', details: { strategy: 'immediate' } });
    expect(new Date(swap.time).toISOString()).toBe(swap.time);
    expect(actions(audit, 'telemetry')).toEqual(['deploy-started', 'deployed', 'deploy-started', 'deployed']);
  });

  it('refuses impossible moves with LN_ERR_VERSION_STATE (and audits the refused user-facing ones)', async () => {
    const ctx = openAll();
    const { registry, audit } = ctx;
    await bind(ctx, 'telemetry', ['1.0.0', '1.1.0']);
    const who = { actor: 'ops' };
    expect(codeOf(() => registry.beginDeploy('telemetry', '9.9.9', { strategy: 'immediate', actor: 'ops' }))).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(codeOf(() => registry.beginDeploy('telemetry', '1.0.0', { strategy: 'rolling' as never, actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.promote('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.rollback('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    registry.beginDeploy('telemetry', '1.0.0', { strategy: 'immediate', actor: 'ops' });
    expect(codeOf(() => registry.beginDeploy('telemetry', '1.1.0', { strategy: 'immediate', actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    registry.advance('telemetry', 'warm');
    expect(codeOf(() => registry.advance('telemetry', 'prepare'))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.advance('telemetry', 'swap'))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.advance('telemetry', 'drain'))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.complete('telemetry'))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.setCanaryWeight('telemetry', 10, who))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.promote('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    registry.activate('telemetry', who);
    expect(codeOf(() => registry.activate('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.abort('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.fail('telemetry', { actor: 'ops', reason: 'x' }))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.advance('telemetry', 'probe'))).toBe('LN_ERR_VERSION_STATE');
    registry.complete('telemetry');
    expect(codeOf(() => registry.beginDeploy('telemetry', '1.0.0', { strategy: 'immediate', actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.rollback('telemetry', who))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.rollback('telemetry', { actor: 'ops', to: '1.0.0' }))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.rollback('telemetry', { actor: 'ops', to: '0.0.1' }))).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(() => registry.rollback('telemetry', who)).toThrow('Cannot roll back telemetry: there is no previous version');

    const refused = audit
      .list({ name: 'telemetry' })
      .filter((e) => e.action === 'refused')
      .map((e) => e.details.attempted);
    expect(refused).toEqual([
      'deploy',
      'deploy',
      'promote',
      'rollback',
      'deploy',
      'canary-weight',
      'promote',
      'abort',
      'deploy',
      'rollback',
      'rollback',
      'rollback',
      'rollback',
    ]);
    expect(registry.get('telemetry')).toMatchObject({ active: '1.0.0', inProgress: false, deploy: { status: 'deployed' } });
    expect(audit.verify().ok).toBe(true);
  });

  it('inside a caller transaction, a refusal rolls back with it and the caller audits it with refuse()', async () => {
    const ctx = openAll();
    const { registry, audit, db } = ctx;
    await bind(ctx, 'telemetry', ['1.0.0']);
    const before = audit.count();
    let caught: { code: 'LN_ERR_VERSION_NOT_FOUND'; message: string } | undefined;
    try {
      db.transaction(() => {
        audit.append({ action: 'grants-approved', actor: 'ops', name: 'telemetry', version: '2.0.0', details: { added: ['http'] } });
        registry.beginDeploy('telemetry', '2.0.0', { strategy: 'immediate', actor: 'ops' });
      });
    } catch (err) {
      caught = err as typeof caught;
    }
    expect(caught?.code).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(audit.count()).toBe(before);
    registry.refuse({ attempted: 'deploy', name: 'telemetry', version: '2.0.0', actor: 'ops', reason: caught!.message, code: caught!.code });
    expect(audit.list({ newestFirst: true, limit: 1 })[0]).toMatchObject({
      action: 'refused',
      name: 'telemetry',
      version: '2.0.0',
      reason: 'No version 2.0.0 of "telemetry" is known here',
      details: { attempted: 'deploy', code: 'LN_ERR_VERSION_NOT_FOUND' },
    });
    expect(audit.count()).toBe(before + 1);
  });

  it('canary: weights, then promote; or abort with the active version untouched', async () => {
    const ctx = openAll();
    const { registry, audit } = ctx;
    await bind(ctx, 'telemetry', ['1.0.0', '1.1.0', '1.2.0']);
    registry.beginDeploy('telemetry', '1.0.0', { strategy: 'immediate', actor: 'ops' });
    registry.activate('telemetry', { actor: 'ops' });
    registry.complete('telemetry');

    registry.beginDeploy('telemetry', '1.1.0', { strategy: 'canary', actor: 'ops' });
    registry.advance('telemetry', 'probe');
    expect(codeOf(() => registry.activate('telemetry', { actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    expect(registry.setCanaryWeight('telemetry', 10, { actor: 'ops' })).toMatchObject({ active: '1.0.0', deploy: { status: 'canary', weight: 10 } });
    expect(codeOf(() => registry.setCanaryWeight('telemetry', 101, { actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    expect(codeOf(() => registry.setCanaryWeight('telemetry', 2.5, { actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
    registry.setCanaryWeight('telemetry', 50, { actor: 'ops' });
    expect(registry.promote('telemetry', { actor: 'ops', reason: 'error rate flat' })).toMatchObject({
      active: '1.1.0',
      previous: '1.0.0',
      deploy: { status: 'activated', weight: 100 },
    });
    registry.complete('telemetry');
    const weights = audit
      .list({ name: 'telemetry' })
      .filter((e) => e.action === 'canary-weight')
      .map((e) => e.details);
    expect(weights).toEqual([
      { weight: 10, previousWeight: 0 },
      { weight: 50, previousWeight: 10 },
    ]);

    registry.beginDeploy('telemetry', '1.2.0', { strategy: 'canary', actor: 'ops' });
    registry.setCanaryWeight('telemetry', 5, { actor: 'ops' });
    const aborted = registry.abort('telemetry', { actor: 'auto-rollback', reason: 'error rate 12% over 5%' });
    expect(aborted).toMatchObject({
      active: '1.1.0',
      previous: '1.0.0',
      inProgress: false,
      deploy: { version: '1.2.0', status: 'aborted', weight: 0, reason: 'error rate 12% over 5%' },
    });
    expect(actions(audit, 'telemetry').slice(-2)).toEqual(['canary-weight', 'aborted']);
    expect(audit.list({ name: 'telemetry', newestFirst: true, limit: 1 })[0]).toMatchObject({ actor: 'auto-rollback', version: '1.2.0', fromVersion: '1.1.0' });
  });

  it('a failed deploy records its step and reason; the active version keeps serving', async () => {
    const ctx = openAll();
    const { registry, audit } = ctx;
    await bind(ctx, 'telemetry', ['1.0.0', '1.1.0']);
    registry.beginDeploy('telemetry', '1.0.0', { strategy: 'blue-green', actor: 'ops' });
    registry.activate('telemetry', { actor: 'ops' });
    registry.complete('telemetry');
    registry.beginDeploy('telemetry', '1.1.0', { strategy: 'blue-green', actor: 'ops' });
    registry.advance('telemetry', 'warm');
    const d = registry.fail('telemetry', { actor: 'ops', step: 'probe', reason: 'health probe answered 500' });
    expect(d).toMatchObject({
      active: '1.0.0',
      inProgress: false,
      deploy: { version: '1.1.0', status: 'failed', step: 'probe', reason: 'health probe answered 500' },
    });
    expect(audit.list({ name: 'telemetry', newestFirst: true, limit: 1 })[0]).toMatchObject({
      action: 'deploy-failed',
      reason: 'health probe answered 500',
      details: { step: 'probe', strategy: 'blue-green' },
    });
    // The next deploy may start over.
    expect(registry.beginDeploy('telemetry', '1.1.0', { strategy: 'blue-green', actor: 'ops' }).deploy.status).toBe('deploying');
  });

  it('rolls back to the previous version, to any retained one, and automatically', async () => {
    const ctx = openAll();
    const { registry, audit } = ctx;
    const digests = await bind(ctx, 'telemetry', ['1.0.0', '1.1.0', '1.2.0']);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      registry.beginDeploy('telemetry', v, { strategy: 'blue-green', actor: 'ops' });
      registry.activate('telemetry', { actor: 'ops' });
      if (v !== '1.2.0') registry.complete('telemetry');
    }
    // 1.2.0 is activated but still draining when it goes bad.
    let d = registry.rollback('telemetry', { actor: 'auto-rollback', reason: 'trap rate 40%', automatic: true });
    expect(d).toMatchObject({
      active: '1.1.0',
      previous: '1.2.0',
      inProgress: false,
      deploy: { version: '1.2.0', status: 'rolled-back', reason: 'trap rate 40%' },
    });
    expect(audit.list({ name: 'telemetry', newestFirst: true, limit: 1 })[0]).toMatchObject({
      action: 'auto-rolled-back',
      actor: 'auto-rollback',
      version: '1.1.0',
      digest: digests['1.1.0'],
      fromVersion: '1.2.0',
      details: { automatic: true },
    });
    d = registry.rollback('telemetry', { actor: 'ops', to: '1.0.0', reason: 'back to the known good one' });
    expect(d).toMatchObject({ active: '1.0.0', previous: '1.1.0' });
    d = registry.rollback('telemetry', { actor: 'ops' });
    expect(d).toMatchObject({ active: '1.1.0', previous: '1.0.0' });
    expect(actions(audit, 'telemetry').filter((a) => a.includes('rolled-back'))).toEqual(['auto-rolled-back', 'rolled-back', 'rolled-back']);
  });
});

describe('recovery', () => {
  it('after a restart, marks deploys caught before the swap failed and those after it deployed, and says what to serve', async () => {
    const ctx = openAll();
    const { registry } = ctx;
    await bind(ctx, 'alpha', ['1.0.0', '2.0.0']);
    await bind(ctx, 'beta', ['1.0.0', '2.0.0']);
    await bind(ctx, 'gamma', ['1.0.0', '2.0.0']);
    await bind(ctx, 'delta', ['1.0.0']);
    for (const name of ['alpha', 'beta', 'gamma']) {
      registry.beginDeploy(name, '1.0.0', { strategy: 'canary', actor: 'ops' });
      registry.promote(name, { actor: 'ops' });
      registry.complete(name);
    }
    registry.beginDeploy('alpha', '2.0.0', { strategy: 'immediate', actor: 'ops' });
    registry.advance('alpha', 'warm');
    registry.beginDeploy('beta', '2.0.0', { strategy: 'canary', actor: 'ops' });
    registry.setCanaryWeight('beta', 20, { actor: 'ops' });
    registry.beginDeploy('gamma', '2.0.0', { strategy: 'immediate', actor: 'ops' });
    registry.activate('gamma', { actor: 'ops' });
    registry.advance('gamma', 'drain');
    registry.beginDeploy('delta', '1.0.0', { strategy: 'immediate', actor: 'ops' });
    ctx.db.close();

    const after = openAll(ctx.dataDir);
    const report = after.registry.recover();
    expect(report.interrupted.map((d) => [d.name, d.deploy.version, d.deploy.status, d.deploy.reason]).sort()).toEqual([
      ['alpha', '2.0.0', 'failed', 'interrupted by a restart'],
      ['beta', '2.0.0', 'failed', 'interrupted by a restart'],
      ['delta', '1.0.0', 'failed', 'interrupted by a restart'],
    ]);
    expect(report.serving.map((s) => [s.name, s.active.version, s.previous?.version ?? null])).toEqual([
      ['alpha', '1.0.0', null],
      ['beta', '1.0.0', null],
      ['gamma', '2.0.0', '1.0.0'],
    ]);
    expect(report.serving[0]!.active.manifest).toEqual({ name: 'alpha', version: '1.0.0', events: ['*'] });
    expect(after.registry.list().every((d) => !d.inProgress)).toBe(true);
    expect(after.registry.get('gamma')!.deploy.status).toBe('deployed');
    const failed = after.audit.list().filter((e) => e.action === 'deploy-failed');
    expect(failed.map((e) => [e.name, e.actor, e.reason])).toEqual([
      ['alpha', 'recovery', 'interrupted by a restart'],
      ['beta', 'recovery', 'interrupted by a restart'],
      ['delta', 'recovery', 'interrupted by a restart'],
    ]);
    expect(after.registry.recover().interrupted).toEqual([]);
    expect(after.audit.verify().ok).toBe(true);
  });
});

describe('retention', () => {
  it('keeps the newest versions plus the active, previous and last-deployed ones, and returns the artifacts nobody refers to', async () => {
    const ctx = openAll();
    const { registry, store } = ctx;
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0'];
    const digests = await bind(ctx, 'telemetry', versions);
    // Another plugin shares 1.1.0's bytes: that artifact must survive.
    registry.bindVersion('other', '0.1.0', digests['1.1.0']!, {}, 'ops');
    for (const v of ['1.0.0', '1.2.0']) {
      registry.beginDeploy('telemetry', v, { strategy: 'immediate', actor: 'ops' });
      registry.activate('telemetry', { actor: 'ops' });
      registry.complete('telemetry');
    }
    registry.beginDeploy('telemetry', '1.3.0', { strategy: 'immediate', actor: 'ops' });
    registry.fail('telemetry', { actor: 'ops', reason: 'probe failed' });
    expect(registry.retainedVersions('telemetry', 1)).toEqual(['1.5.0', '1.3.0', '1.2.0', '1.0.0']);
    expect(registry.retainedVersions('telemetry', 0)).toEqual(['1.3.0', '1.2.0', '1.0.0']);
    expect(codeOf(() => registry.retainedVersions('telemetry', -1))).toBe('LN_ERR_CONFIG_INVALID');

    const pruned = registry.prune('telemetry', 1);
    expect([...pruned.removed].sort()).toEqual(['1.1.0', '1.4.0']);
    expect(pruned.unreferencedDigests).toEqual([digests['1.4.0']]);
    for (const d of pruned.unreferencedDigests) await store.remove(d);
    expect(await store.list()).toEqual(
      Object.values(digests)
        .filter((d) => d !== digests['1.4.0'])
        .sort(),
    );
    expect(registry.versions('telemetry').map((v) => v.version)).toEqual(['1.5.0', '1.3.0', '1.2.0', '1.0.0']);
    expect(codeOf(() => registry.rollback('telemetry', { actor: 'ops', to: '1.4.0' }))).toBe('LN_ERR_VERSION_NOT_FOUND');
    expect(registry.prune('telemetry', 1)).toEqual({ removed: [], unreferencedDigests: [] });
    expect(ctx.audit.list({ name: 'telemetry', newestFirst: true }).find((e) => e.action === 'pruned')!.details).toEqual({
      versions: pruned.removed,
      digests: pruned.unreferencedDigests,
    });
    // Every retained version's artifact is still there.
    for (const v of registry.versions('telemetry')) expect(await store.has(v.digest)).toBe(true);
  });
});

describe('audit trail', () => {
  /** A trail of `n` entries, closed so the file can be tampered with. */
  function trail(n: number): string {
    const { dataDir, audit, db } = openAll();
    for (let i = 1; i <= n; i++) {
      audit.append({
        action: i % 2 ? 'grants-approved' : 'deployed',
        actor: `actor-${i}`,
        name: 'telemetry',
        version: `1.0.${i}`,
        reason: `reason-number-${String(i).padStart(3, '0')}`,
        details: { z: i, a: [i, { y: 1, b: 2 }] },
      });
    }
    db.close();
    return dataDir;
  }

  function verifyAt(dataDir: string) {
    const { audit } = openAll(dataDir);
    return audit.verify();
  }

  /** A raw connection with the append-only triggers dropped, as an attacker would. */
  function tamper(dataDir: string, sql: string): void {
    const r = raw(dataDir);
    r.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    r.exec(sql);
    r.close();
  }

  it('chains entries, stores details canonically and verifies', () => {
    const { audit } = openAll();
    const a = audit.append({ action: 'grants-approved', actor: 'ops', name: 'telemetry', version: '1.3.0', details: { b: 1, a: { d: 2, c: 3 } } });
    const b = audit.append({ action: 'refused', actor: 'ops', name: 'other', reason: 'no', details: { attempted: 'deploy' } });
    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, time: '2025-01-01T00:00:01.000Z', details: { a: { c: 3, d: 2 }, b: 1 } });
    expect(JSON.stringify(a.details)).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(b.prevHash).toBe(a.hash);
    expect(entryHash(a.hash, b)).toBe(b.hash);
    expect(audit.verify()).toEqual({ ok: true, entries: 2, head: b.hash });
    expect(audit.list({ name: 'telemetry' }).map((e) => e.seq)).toEqual([1]);
    expect(audit.list({ after: 1 }).map((e) => e.seq)).toEqual([2]);
    expect(audit.list({ limit: 1, newestFirst: true }).map((e) => e.seq)).toEqual([2]);
    expect(codeOf(() => audit.append({ action: 'edited' as never, actor: 'ops' }))).toBe('LN_ERR_INTERNAL_UNEXPECTED');
    expect(codeOf(() => audit.append({ action: 'deployed', actor: '' }))).toBe('LN_ERR_INTERNAL_UNEXPECTED');
  });

  it('refuses UPDATE and DELETE through SQL', () => {
    const dataDir = trail(3);
    const r = raw(dataDir);
    expect(() => r.exec("UPDATE audit SET reason = 'nothing happened' WHERE seq = 2")).toThrow('append-only');
    expect(() => r.exec('DELETE FROM audit WHERE seq = 3')).toThrow('append-only');
    r.close();
    expect(verifyAt(dataDir)).toMatchObject({ ok: true, entries: 3 });
  });

  it('detects an edited field', () => {
    const dataDir = trail(5);
    tamper(dataDir, "UPDATE audit SET actor = 'someone-else' WHERE seq = 3");
    expect(verifyAt(dataDir)).toEqual({ ok: false, seq: 3, reason: 'its contents do not match its hash' });
    const { audit } = openAll(dataDir);
    expect(codeOf(() => audit.assertIntact())).toBe('LN_ERR_VERSION_AUDIT_TAMPERED');
  });

  it('detects an edited field whose hash was recomputed (the next link breaks)', () => {
    const dataDir = trail(5);
    const r = raw(dataDir);
    const row = r.prepare('SELECT * FROM audit WHERE seq = 2').get() as {
      time: string;
      actor: string;
      action: string;
      name: string;
      version: string;
      details: string;
      prev_hash: string;
    };
    const forged = {
      seq: 2,
      time: row.time,
      actor: row.actor,
      action: row.action,
      name: row.name,
      version: row.version,
      digest: null,
      fromVersion: null,
      reason: 'forged',
      details: JSON.parse(row.details),
    };
    r.close();
    tamper(dataDir, `UPDATE audit SET reason = 'forged', hash = '${entryHash(row.prev_hash, forged as never)}' WHERE seq = 2`);
    expect(verifyAt(dataDir)).toEqual({ ok: false, seq: 3, reason: 'its link to the previous entry is broken' });
  });

  it('detects a deleted row, and a trail cut short', () => {
    const middle = trail(5);
    tamper(middle, 'DELETE FROM audit WHERE seq = 3');
    expect(verifyAt(middle)).toEqual({ ok: false, seq: 3, reason: 'entry 3 is missing' });
    const tail = trail(5);
    tamper(tail, 'DELETE FROM audit WHERE seq = 5');
    expect(verifyAt(tail)).toMatchObject({ ok: false, seq: 5 });
  });

  it('detects reordered rows', () => {
    const dataDir = trail(5);
    tamper(dataDir, 'UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 100;');
    expect(verifyAt(dataDir)).toMatchObject({ ok: false, seq: 2 });
  });

  it('detects an inserted row, in the middle or at the end', () => {
    const middle = trail(4);
    tamper(
      middle,
      `UPDATE audit SET seq = seq + 10 WHERE seq >= 3; UPDATE audit SET seq = seq - 9 WHERE seq >= 13;
      INSERT INTO audit SELECT 3, time, actor, action, name, version, digest, from_version, 'inserted', details, prev_hash, hash FROM audit WHERE seq = 2;`,
    );
    expect(verifyAt(middle)).toMatchObject({ ok: false, seq: 3 });
    const end = trail(4);
    tamper(
      end,
      `INSERT INTO audit SELECT 5, time, actor, action, name, version, digest, from_version, 'appended', details, hash, hash FROM audit WHERE seq = 4;`,
    );
    expect(verifyAt(end)).toMatchObject({ ok: false, seq: 5 });
  });

  it('detects bytes changed in the database file itself', () => {
    const dataDir = trail(20);
    const file = join(dataDir, 'registry.sqlite3');
    const bytes = readFileSync(file);
    // Every copy: a freed page may still hold an older one.
    let copies = 0;
    for (let at = bytes.indexOf('reason-number-013'); at >= 0; at = bytes.indexOf('reason-number-013', at + 1)) {
      bytes.write('reason-number-666', at);
      copies++;
    }
    expect(copies).toBeGreaterThan(0);
    writeFileSync(file, bytes);
    const { audit, db } = openAll(dataDir);
    expect(db.integrityCheck()).toEqual(['ok']);
    expect(audit.verify()).toEqual({ ok: false, seq: 13, reason: 'its contents do not match its hash' });
  });
});
