/**
 * The `cluster` section of the host config (host/config/cluster-keys.ts): `--cluster`, the
 * environment and the file, each value checked; nothing set is a single host.
 */
import { describe, expect, it } from 'vitest';
import { resolveHostConfig } from '../../../host/config/host-config.js';
import { errorOf } from '../../helpers/errors.js';

const resolve = (env: NodeJS.ProcessEnv, flags: Array<{ key: string; raw: string }> = []) =>
  resolveHostConfig({ cwd: '/srv', env, flags: flags.map((f) => ({ ...f, source: `flag ${f.key}` })) }).config.cluster;

describe('cluster config', () => {
  it('is off by default: no servers, a generated host id, heartbeat 2 s', () => {
    expect(resolve({})).toEqual({
      servers: [],
      name: 'lnano',
      hostId: null,
      labels: [],
      credentials: null,
      tls: { ca: null, cert: null, key: null },
      heartbeatMs: 2000,
    });
  });

  it('takes servers from --cluster, labels and files from the environment (paths resolved)', () => {
    const c = resolve({ LNANO_CLUSTER_LABELS: 'zone=north, rack=7', LNANO_CLUSTER_CREDENTIALS: 'nats.creds', LNANO_CLUSTER_TLS_CA: '/etc/ca.pem' }, [
      { key: 'cluster.servers', raw: 'nats://10.0.0.1:4222,tls://nats.example:4443' },
      { key: 'cluster.hostId', raw: 'edge-7' },
    ]);
    expect(c.servers).toEqual(['nats://10.0.0.1:4222', 'tls://nats.example:4443']);
    expect(c.labels).toEqual(['zone=north', 'rack=7']);
    expect(c.hostId).toBe('edge-7');
    expect(c.credentials).toBe('/srv/nats.creds');
    expect(c.tls.ca).toBe('/etc/ca.pem');
  });

  it.each([
    ['cluster.servers', 'http://nats:4222'],
    ['cluster.servers', 'nats://user:secret@nats:4222'],
    ['cluster.name', 'a.b'],
    ['cluster.name', 'x'.repeat(33)],
    ['cluster.hostId', '../etc'],
    ['cluster.labels', 'no-equals-sign'],
  ])('refuses %s = %s naming the key', (key, raw) => {
    const err = errorOf(() => resolve({}, [{ key, raw }]));
    expect(err.code).toBe('LN_ERR_CONFIG_INVALID');
    expect(err.details.key).toBe(key);
  });
});
