// The child process of test/integration/registry-crash.test.ts, run on the compiled host (dist/).
//
//   node registry-crash-child.mjs work <data-dir> <run>   restarts like a host (recover), prints
//       "ready", then deploys, promotes, aborts, fails, rolls back and prunes in a loop until killed
//   node registry-crash-child.mjs check <data-dir>        restarts like a host, then prints the
//       invariants the test asserts as one JSON line
import { randomBytes, randomInt } from 'node:crypto';
import { ArtifactStore } from '../../dist/host/versions/artifact-store.js';
import { AuditTrail } from '../../dist/host/versions/audit-trail.js';
import { STRATEGIES } from '../../dist/host/versions/deployment.js';
import { Registry } from '../../dist/host/versions/registry.js';
import { RegistryDatabase } from '../../dist/host/versions/registry-database.js';

const NAMES = ['alpha', 'beta', 'gamma'];
const KEEP = 3;
const ACTOR = { actor: 'crash-test' };
const [mode, dataDir, run] = process.argv.slice(2);

const db = new RegistryDatabase(dataDir);
const audit = new AuditTrail(db);
const registry = new Registry(db, audit);
const store = new ArtifactStore(dataDir);

/** What a host does at start-up: recover the registry, then drop temporaries and unreferenced artifacts. */
async function restart() {
  const report = registry.recover();
  const temporaries = await store.sweepTemporaries();
  const referenced = registry.referencedDigests();
  let orphans = 0;
  for (const digest of await store.list()) {
    if (!referenced.has(digest)) orphans += (await store.remove(digest)) ? 1 : 0;
  }
  return { report, temporaries, orphans };
}

async function deployOnce(name, version) {
  const digest = await store.put(randomBytes(1000 + randomInt(20000)));
  const strategy = STRATEGIES[randomInt(STRATEGIES.length)];
  db.transaction(() => {
    registry.bindVersion(name, version, digest, { name, version, events: ['*'] }, 'crash-test');
    registry.beginDeploy(name, version, { strategy, ...ACTOR });
  });
  for (const step of ['capability-check', 'prepare', 'warm', 'probe']) registry.advance(name, step);
  const roll = randomInt(100);
  if (roll < 15) return registry.fail(name, { ...ACTOR, reason: 'probe failed' });
  if (roll < 25) return registry.abort(name, { ...ACTOR, reason: 'operator abort' });
  let swapped;
  if (strategy === 'canary') {
    for (const weight of [10, 50]) registry.setCanaryWeight(name, weight, ACTOR);
    if (roll < 30) return registry.abort(name, { ...ACTOR, reason: 'canary error rate' });
    swapped = registry.promote(name, ACTOR);
  } else {
    swapped = registry.activate(name, ACTOR);
  }
  // Auto-rollback while draining (a first deploy has nothing to roll back to).
  if (roll < 35 && swapped.previous) return registry.rollback(name, { ...ACTOR, reason: 'error rate', automatic: true });
  registry.advance(name, 'drain');
  registry.advance(name, 'retire');
  return registry.complete(name);
}

async function work() {
  await restart();
  process.stdout.write('ready\n');
  for (let i = 1; ; i++) {
    const name = NAMES[i % NAMES.length];
    const version = `${run}.${i}.0`;
    await deployOnce(name, version);
    if (i % 7 === 0 && registry.get(name)?.previous) registry.rollback(name, { ...ACTOR, reason: 'manual rollback' });
    if (i % 5 === 0) {
      // A refused attempt: the same name@version with other bytes.
      const other = await store.put(randomBytes(64));
      try {
        registry.bindVersion(name, version, other, {}, 'mallory');
      } catch {
        /* refused and audited */
      }
    }
    const { unreferencedDigests } = registry.prune(name, KEEP);
    for (const digest of unreferencedDigests) await store.remove(digest);
  }
}

/** Replays the audit trail per name: each deploy-started ends exactly once, and the last swap names the active version. */
function replay(entries) {
  const problems = [];
  const open = new Map();
  const lastSwap = new Map();
  const started = new Set();
  for (const e of entries) {
    if (e.action === 'deploy-started') {
      if (open.get(e.name)) problems.push(`entry ${e.seq}: ${e.name} started a deploy while one was open`);
      open.set(e.name, true);
      started.add(`${e.name}@${e.version}=${e.digest}`);
    }
    if (['deployed', 'promoted', 'deploy-failed', 'aborted'].includes(e.action)) {
      if (!open.get(e.name)) problems.push(`entry ${e.seq}: ${e.action} of ${e.name} without a deploy in progress`);
      open.set(e.name, false);
    }
    if (['deployed', 'promoted', 'rolled-back', 'auto-rolled-back'].includes(e.action)) lastSwap.set(e.name, e);
  }
  for (const [name, isOpen] of open) if (isOpen) problems.push(`${name}: a deploy-started entry never ended`);
  return { problems, lastSwap, started };
}

async function check() {
  const { report, temporaries, orphans } = await restart();
  const entries = [];
  for (let after = 0; ; ) {
    const page = audit.list({ after, limit: 1000 });
    if (page.length === 0) break;
    entries.push(...page);
    after = page[page.length - 1].seq;
  }
  const { problems, lastSwap, started } = replay(entries);
  for (const d of registry.list()) {
    if (d.inProgress) problems.push(`${d.name}: deploy of ${d.deploy.version} still ${d.deploy.status}`);
    for (const v of [d.active, d.previous]) {
      if (v === null) continue;
      const record = registry.version(d.name, v);
      if (!record) {
        problems.push(`${d.name}: ${v} is not a retained version`);
        continue;
      }
      try {
        await store.get(record.digest);
      } catch (err) {
        problems.push(`${d.name}@${v}: artifact ${record.digest}: ${err.code}`);
      }
    }
    const swap = lastSwap.get(d.name);
    if ((swap?.version ?? null) !== d.active) problems.push(`${d.name}: active ${d.active} but the audit trail last swapped to ${swap?.version}`);
    if ((swap?.fromVersion ?? null) !== d.previous) problems.push(`${d.name}: previous ${d.previous} but the audit trail says ${swap?.fromVersion}`);
  }
  for (const name of NAMES) {
    for (const v of registry.versions(name)) {
      if (!started.has(`${name}@${v.version}=${v.digest}`)) problems.push(`${name}@${v.version} is bound but no deploy of it was audited`);
    }
  }
  const result = {
    integrity: db.integrityCheck(),
    audit: audit.verify(),
    entries: entries.length,
    deploys: entries.filter((e) => e.action === 'deploy-started').length,
    interrupted: report.interrupted.length,
    serving: report.serving.length,
    temporaries,
    orphans,
    problems,
  };
  db.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (mode === 'work') await work();
else if (mode === 'check') await check();
else throw new Error(`unknown mode ${mode}`);
