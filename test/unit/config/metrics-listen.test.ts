// Issue 21: the `metrics.listen` key (the token-free /metrics listener): off by default, set from
// a file, the environment or its flag, turned off again by null or an empty value, and refused
// with the key and source named when it is not host:port.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHostConfig } from '../../../host/config/host-config.js';
import { errorOf } from '../../helpers/errors.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lnano-config-')), 'lnano.yaml');
  writeFileSync(path, text);
  return path;
}

describe('metrics.listen', () => {
  it('is off by default', () => {
    const r = resolveHostConfig({ cwd: '/', env: {} });
    expect(r.config.metrics).toEqual({ listen: null });
    expect(r.sources.get('metrics.listen')).toBe('default');
  });

  it('comes from the file, the environment and --metrics-listen, the later winning', () => {
    const path = file('metrics:\n  listen: 127.0.0.1:9464\n');
    expect(resolveHostConfig({ cwd: '/', env: {}, file: path }).config.metrics.listen).toBe('127.0.0.1:9464');
    const env = resolveHostConfig({ cwd: '/', env: { LNANO_METRICS_LISTEN: '0.0.0.0:9465' }, file: path });
    expect([env.config.metrics.listen, env.sources.get('metrics.listen')]).toEqual(['0.0.0.0:9465', 'env LNANO_METRICS_LISTEN']);
    const flag = resolveHostConfig({ cwd: '/', env: {}, file: path, flags: [{ key: 'metrics.listen', raw: '[::1]:0', source: 'flag --metrics-listen' }] });
    expect(flag.config.metrics.listen).toBe('[::1]:0');
  });

  it('is turned off by null in a file or an empty value in the environment', () => {
    expect(resolveHostConfig({ cwd: '/', env: {}, file: file('metrics:\n  listen: null\n') }).config.metrics.listen).toBeNull();
    expect(resolveHostConfig({ cwd: '/', env: { LNANO_METRICS_LISTEN: '' } }).config.metrics.listen).toBeNull();
  });

  it('refuses what is not host:port, naming the key and the source', () => {
    const err = errorOf(() => resolveHostConfig({ cwd: '/', env: { LNANO_METRICS_LISTEN: '9464' } }));
    expect(err.code).toBe('LN_ERR_CONFIG_INVALID');
    expect(err.details).toMatchObject({ key: 'metrics.listen', source: 'env LNANO_METRICS_LISTEN' });
    expect(errorOf(() => resolveHostConfig({ cwd: '/', env: {}, file: file('metrics:\n  listen: 9464\n') })).code).toBe('LN_ERR_CONFIG_INVALID');
  });
});
