/**
 * The cluster's desired state on a real nats-server (host/cluster/desired-state-store.ts), two
 * "hosts" in one process: revision-checked writes (a ticket older than the record is a coded
 * conflict, whichever host holds it), the artifact put before the record that names it and
 * fetched back checked against its digest, and the watch from the current records on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterArtifacts } from '../../host/cluster/cluster-artifacts.js';
import { ClusterConnection } from '../../host/cluster/cluster-connection.js';
import { DesiredStateStore, type DesiredUpdate } from '../../host/cluster/desired-state-store.js';
import { silentLogger } from '../../host/log/logger.js';
import { ArtifactStore, digestOf } from '../../host/versions/artifact-store.js';
import type { DesiredChange } from '../../host/versions/desired-state-port.js';
import { type NatsServer, startNats, stopAll, until } from '../helpers/cluster-nats.js';
import { codeOfAsync } from '../helpers/errors.js';

let nats: NatsServer;
const members: Array<{ conn: ClusterConnection; store: DesiredStateStore; artifacts: ClusterArtifacts; local: ArtifactStore }> = [];

function member(hostId: string) {
  const config = { servers: [nats.url], name: 'itest', hostId, labels: [], credentials: null, tls: { ca: null, cert: null, key: null }, heartbeatMs: 1000 };
  const conn = new ClusterConnection(config, hostId, silentLogger());
  const artifacts = new ClusterArtifacts(conn, 1024 * 1024);
  const local = new ArtifactStore(mkdtempSync(join(tmpdir(), 'lnano-cluster-it-')));
  const store = new DesiredStateStore({ conn, artifacts, local: () => local, logger: silentLogger(), hostId, retain: 3 });
  const m = { conn, store, artifacts, local };
  members.push(m);
  return m;
}

const bytesA = new TextEncoder().encode('\0asm component A');
const bytesB = new TextEncoder().encode('\0asm component B');
const deploy = (version: string, bytes: Uint8Array): DesiredChange => ({
  kind: 'deploy',
  target: { version, digest: digestOf(bytes), manifest: { name: 'echo', version } },
  strategy: 'immediate',
  canaryWeight: 10,
});

beforeAll(async () => {
  nats = await startNats();
}, 30_000);

afterAll(async () => {
  for (const m of members) await m.conn.close();
  await stopAll();
});

describe('desired state on JetStream KV', () => {
  it('refuses every change while not connected, with LN_ERR_VERSION_CLUSTER_UNAVAILABLE', async () => {
    const m = member('offline');
    expect(await codeOfAsync(m.store.observe('echo'))).toBe('LN_ERR_VERSION_CLUSTER_UNAVAILABLE');
  });

  it('a ticket older than the record is a coded conflict; the fresh one wins; the artifact is in the object store first', async () => {
    const h1 = member('h1');
    const h2 = member('h2');
    expect(await Promise.all([h1.conn.whenConnected(10_000), h2.conn.whenConnected(10_000)])).toEqual([true, true]);
    await h1.local.put(bytesA);
    await h2.local.put(bytesB);
    const t1 = await h1.store.observe('echo');
    const t2 = await h2.store.observe('echo');
    expect([t1.revision, t2.revision]).toEqual([0, 0]);
    await h1.store.publish(t1, deploy('1.0.0', bytesA), { actor: 'ops' });
    expect(await codeOfAsync(h2.store.publish(t2, deploy('2.0.0', bytesB), { actor: 'ops' }))).toBe('LN_ERR_VERSION_REVISION_CONFLICT');
    const now = await h2.store.read('echo');
    expect(now.record?.active?.version).toBe('1.0.0');
    expect(now.record?.change).toMatchObject({ host: 'h1', kind: 'deploy', actor: 'ops' });
    // h2 fetches h1's artifact by digest, checked.
    expect(Buffer.from(await h2.artifacts.fetch(digestOf(bytesA))).equals(Buffer.from(bytesA))).toBe(true);
    // With a fresh ticket h2's change goes through, over h1's.
    await h2.store.publish(await h2.store.observe('echo'), deploy('2.0.0', bytesB), { actor: 'ops' });
    const after = await h1.store.read('echo');
    expect([after.record?.active?.version, after.record?.previous?.version]).toEqual(['2.0.0', '1.0.0']);
  });

  it('two publishes racing on one ticket: exactly one is written', async () => {
    const [h1, h2] = members.slice(1);
    const t = await h1!.store.observe('race');
    const both = await Promise.allSettled([
      h1!.store.publish({ ...t }, deploy('1.0.0', bytesA), { actor: 'a' }),
      h2!.store.publish({ ...t }, deploy('1.0.1', bytesB), { actor: 'b' }),
    ]);
    const codes = both.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code)).sort();
    expect(codes).toEqual(['LN_ERR_VERSION_REVISION_CONFLICT', 'ok']);
  });

  it('refuses what the record does not allow (promote without a canary), coded', async () => {
    const h1 = members[1]!;
    expect(await codeOfAsync(h1.store.publish(await h1.store.observe('echo'), { kind: 'promote' }, { actor: 'ops' }))).toBe('LN_ERR_VERSION_STATE');
  });

  it('an object whose bytes do not hash to its name is refused with LN_ERR_LOAD_INVALID', async () => {
    const h1 = members[1]!;
    const { artifacts } = h1.conn.handles('test');
    const named = digestOf(new TextEncoder().encode('what the name says'));
    await artifacts.putBlob({ name: named }, bytesA);
    expect(await codeOfAsync(h1.artifacts.fetch(named))).toBe('LN_ERR_LOAD_INVALID');
    expect(await codeOfAsync(h1.artifacts.fetch(digestOf(new TextEncoder().encode('never stored'))))).toBe('LN_ERR_LOAD_NOT_FOUND');
  });

  it('the watch delivers the current records first, then each change, and malformed ones as coded errors', async () => {
    const h1 = members[1]!;
    const seen: DesiredUpdate[] = [];
    const stop = new AbortController();
    const watching = h1.store.watch((u) => seen.push(u), stop.signal);
    await until('the current records', () => seen.some((u) => u.key === 'echo' && u.record?.active?.version === '2.0.0'));
    await h1.conn.handles('test').desired.put('echo', new TextEncoder().encode('{"schema":"something else"}'));
    await until('the malformed record', () => seen.some((u) => u.key === 'echo' && u.record === null));
    const bad = seen.find((u) => u.key === 'echo' && u.record === null);
    expect(bad && 'error' in bad ? bad.error?.code : null).toBe('LN_ERR_VERSION_DESIRED_STATE_INVALID');
    stop.abort();
    await watching;
    // A deploy over the malformed record repairs it.
    await h1.store.publish(await h1.store.observe('echo'), deploy('3.0.0', bytesA), { actor: 'ops' });
    expect((await h1.store.read('echo')).record?.active?.version).toBe('3.0.0');
  });
});
