// The host config loader: precedence (defaults < file < env < flags) with each key's source,
// errors that name the key and the source for hostile input (unknown keys, wrong types, bad
// units, unreadable or huge files, YAML alias bombs), and hot reload (a live key applies, a
// restart key is reported, an invalid file keeps the running config). Real files in a temp dir.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_FILE_BYTES } from '../../../host/config/config-file.js';
import { CONFIG_KEYS, envName } from '../../../host/config/config-keys.js';
import { ConfigWatcher } from '../../../host/config/config-watcher.js';
import { type ConfigInputs, configEntries, resolveHostConfig } from '../../../host/config/host-config.js';
import { isLnError, type LnError } from '../../../host/errors/ln-error.js';
import { codeOf } from '../../helpers/errors.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'lnano-config-'));

function write(name: string, text: string): string {
  const d = dir();
  const file = join(d, name);
  writeFileSync(file, text);
  return file;
}

/** The error a resolve throws, with its details. */
function failure(inputs: ConfigInputs): LnError {
  try {
    resolveHostConfig(inputs);
  } catch (err) {
    if (isLnError(err)) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('host config: precedence and sources', () => {
  it('defaults < file < env < flags, each key reporting where it came from', () => {
    const file = write(
      'lnano.yaml',
      [
        'listen: 127.0.0.1:7000',
        'adminListen: 127.0.0.1:7001',
        'logLevel: debug',
        'timeout: 2s',
        'tracing:',
        '  enabled: true',
        '  sampleRatio: 0.5',
        'runtime:',
        '  concurrency:',
        '    perPlugin: 3',
        'ingress:',
        '  maxBodyBytes: 64KiB',
      ].join('\n'),
    );
    const r = resolveHostConfig({
      cwd: '/srv',
      file,
      env: { LNANO_ADMIN_LISTEN: '127.0.0.1:9001', LNANO_LOG_LEVEL: 'warn', LNANO_TRACING_SAMPLE_RATIO: '0.25', UNRELATED: 'x' },
      flags: [
        { key: 'logLevel', raw: 'error', source: 'flag --log-level' },
        { key: 'runtime.maxDepth', raw: '2', source: 'flag --set runtime.maxDepth' },
      ],
    });
    const c = r.config;
    expect(c.listen).toBe('127.0.0.1:7000');
    expect(c.adminListen).toBe('127.0.0.1:9001');
    expect(c.logLevel).toBe('error');
    expect(c.timeoutMs).toBe(2000);
    expect(c.tracing).toEqual({ enabled: true, otlpEndpoint: null, sampleRatio: 0.25 });
    expect(c.runtime).toEqual({ maxDepth: 2, maxFanOut: 64, concurrency: { global: 256, perPlugin: 3 }, stopOnError: false, delivery: 'concurrent' });
    expect(c.ingress.maxBodyBytes).toBe(64 * 1024);
    expect(c.dataDir).toBe('/srv/.lnano');
    const source = (key: string) => r.sources.get(key);
    expect(source('listen')).toBe(`file ${file}`);
    expect(source('adminListen')).toBe('env LNANO_ADMIN_LISTEN');
    expect(source('logLevel')).toBe('flag --log-level');
    expect(source('tracing.sampleRatio')).toBe('env LNANO_TRACING_SAMPLE_RATIO');
    expect(source('runtime.maxDepth')).toBe('flag --set runtime.maxDepth');
    expect(source('dataDir')).toBe('default');
    expect(configEntries(r).find((e) => e.key === 'runtime.concurrency.perPlugin')).toEqual({
      key: 'runtime.concurrency.perPlugin',
      value: 3,
      source: `file ${file}`,
      live: true,
    });
  });

  it('reads JSON too, resolves relative paths against the file, takes the file from LNANO_CONFIG', () => {
    const file = write('lnano.json', JSON.stringify({ $schema: 'x', dataDir: 'state', pipelines: { dir: './flows', concurrency: 2 } }));
    const r = resolveHostConfig({ cwd: '/elsewhere', env: { LNANO_CONFIG: file } });
    expect(r.file).toBe(file);
    expect(r.config.dataDir).toBe(join(file, '..', 'state'));
    expect(r.config.pipelines).toEqual({ dir: join(file, '..', 'flows'), concurrency: 2 });
  });

  it('takes allowed origins as a list in a file or comma-separated text, normalized (issue 14)', () => {
    const file = write('a.yaml', 'ingress:\n  allowedOrigins: ["HTTPS://App.Example:443/", "http://127.0.0.1:3000"]\n');
    expect(resolveHostConfig({ cwd: '/', env: {}, file }).config.ingress.allowedOrigins).toEqual(['https://app.example', 'http://127.0.0.1:3000']);
    const env = { LNANO_INGRESS_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443' };
    expect(resolveHostConfig({ cwd: '/', env }).config.ingress.allowedOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(resolveHostConfig({ cwd: '/', env: {} }).config.ingress.allowedOrigins).toEqual([]);
  });

  it('takes the delivery mode from the environment (issue 15)', () => {
    expect(resolveHostConfig({ cwd: '/', env: { LNANO_RUNTIME_DELIVERY: 'sequential' } }).config.runtime.delivery).toBe('sequential');
    expect(resolveHostConfig({ cwd: '/', env: {} }).config.runtime.delivery).toBe('concurrent');
  });

  it('takes the shared sandbox workers and the deadline grace (issue 15)', () => {
    expect(resolveHostConfig({ cwd: '/', env: {} }).config.sandbox).toEqual({ workers: 0, deadlineGraceMs: 1000, isolation: 'shared' });
    const env = { LNANO_SANDBOX_WORKERS: '3', LNANO_SANDBOX_DEADLINE_GRACE: '250ms', LNANO_SANDBOX_ISOLATION: 'inline' };
    expect(resolveHostConfig({ cwd: '/', env }).config.sandbox).toEqual({ workers: 3, deadlineGraceMs: 250, isolation: 'inline' });
    expect(() => resolveHostConfig({ cwd: '/', env: { LNANO_SANDBOX_ISOLATION: 'thread' } })).toThrow();
  });

  it('never shows the admin token', () => {
    const r = resolveHostConfig({ cwd: '/', env: { LNANO_ADMIN_TOKEN: 'a-very-secret-token-of-some-length' } });
    expect(r.config.adminToken).toBe('a-very-secret-token-of-some-length');
    const entry = configEntries(r).find((e) => e.key === 'adminToken')!;
    expect(entry).toEqual({ key: 'adminToken', value: '(set)', source: 'env LNANO_ADMIN_TOKEN', live: false });
    expect(JSON.stringify(configEntries(r))).not.toContain('a-very-secret');
  });

  it('names every key by the LNANO_ environment convention', () => {
    expect(envName('listen')).toBe('LNANO_LISTEN');
    expect(envName('adminListen')).toBe('LNANO_ADMIN_LISTEN');
    expect(envName('runtime.concurrency.perPlugin')).toBe('LNANO_RUNTIME_CONCURRENCY_PER_PLUGIN');
    expect(new Set(CONFIG_KEYS.map((k) => envName(k.key))).size).toBe(CONFIG_KEYS.length);
  });
});

describe('host config: hostile input names the key and the source', () => {
  const cases: Array<[string, () => LnError, string, string, RegExp]> = [
    ['an unknown top-level key', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'listne: 1.2.3.4:5\n') }), 'listne', 'file', /unknown key/],
    [
      'an unknown nested key',
      () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'runtime:\n  concurrency:\n    perplugin: 2\n') }),
      'runtime.concurrency.perplugin',
      'file',
      /known in runtime.concurrency: global, perPlugin/,
    ],
    ['a group that is not an object', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'tracing: yes\n') }), 'tracing', 'file', /expected an object/],
    [
      'a wrong type in the file',
      () => failure({ cwd: '/', env: {}, file: write('a.json', '{"retain":"five"}') }),
      'retain',
      'file',
      /whole number from 1 to 1000, got "five" \(string\)/,
    ],
    ['a bad unit in the file', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'timeout: 5 parsecs\n') }), 'timeout', 'file', /not a duration/],
    [
      'a bad size in the environment',
      () => failure({ cwd: '/', env: { LNANO_INGRESS_MAX_BODY_BYTES: '12 potatoes' } }),
      'ingress.maxBodyBytes',
      'env LNANO_INGRESS_MAX_BODY_BYTES',
      /./,
    ],
    [
      'a ratio out of range',
      () => failure({ cwd: '/', env: { LNANO_TRACING_SAMPLE_RATIO: '1.5' } }),
      'tracing.sampleRatio',
      'env LNANO_TRACING_SAMPLE_RATIO',
      /from 0 to 1/,
    ],
    [
      'a bad address flag',
      () => failure({ cwd: '/', env: {}, flags: [{ key: 'listen', raw: 'localhost', source: 'flag --listen' }] }),
      'listen',
      'flag --listen',
      /host:port/,
    ],
    ['a port out of range', () => failure({ cwd: '/', env: { LNANO_LISTEN: '127.0.0.1:70000' } }), 'listen', 'env LNANO_LISTEN', /host:port/],
    [
      'a non-http OTLP endpoint',
      () => failure({ cwd: '/', env: { LNANO_TRACING_OTLP_ENDPOINT: 'file:///etc/passwd' } }),
      'tracing.otlpEndpoint',
      'env LNANO_TRACING_OTLP_ENDPOINT',
      /http/,
    ],
    [
      'a log level that does not exist',
      () => failure({ cwd: '/', env: { LNANO_LOG_LEVEL: 'loud' } }),
      'logLevel',
      'env LNANO_LOG_LEVEL',
      /one of trace, debug/,
    ],
    [
      'a delivery mode that does not exist',
      () => failure({ cwd: '/', env: { LNANO_RUNTIME_DELIVERY: 'parallel' } }),
      'runtime.delivery',
      'env LNANO_RUNTIME_DELIVERY',
      /one of concurrent, sequential/,
    ],
    [
      'a boolean that is not one',
      () => failure({ cwd: '/', env: { LNANO_TRACING_ENABLED: 'maybe' } }),
      'tracing.enabled',
      'env LNANO_TRACING_ENABLED',
      /true or false/,
    ],
    ['a missing file', () => failure({ cwd: '/', env: {}, file: '/definitely/not/here.yaml' }), '(file)', 'file /definitely/not/here.yaml', /does not exist/],
    ['a file that is not YAML', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'listen: [unclosed\n') }), '(file)', 'file', /not valid YAML/],
    ['a duplicate key', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'retain: 1\nretain: 2\n') }), '(file)', 'file', /not valid YAML/],
    ['a top level that is a list', () => failure({ cwd: '/', env: {}, file: write('a.yaml', '- 1\n- 2\n') }), '(top level)', 'file', /expected an object/],
    ['a policy with an unknown key', () => failure({ cwd: '/', env: {}, file: write('a.yaml', 'policy:\n  nope: 1\n') }), 'policy', 'a.yaml', /nope/],
    [
      'an allowed origin with a path',
      () => failure({ cwd: '/', env: { LNANO_INGRESS_ALLOWED_ORIGINS: 'https://a.example, https://b.example/app' } }),
      'ingress.allowedOrigins',
      'env LNANO_INGRESS_ALLOWED_ORIGINS',
      /origin like .*"https:\/\/b.example\/app"/,
    ],
    [
      'allowed origins that are not a list',
      () => failure({ cwd: '/', env: {}, file: write('a.json', '{"ingress":{"allowedOrigins":"https://a.example"}}') }),
      'ingress.allowedOrigins',
      'file',
      /list of origins/,
    ],
    [
      'a file nested 5000 levels deep (issue 14)',
      () => failure({ cwd: '/', env: {}, file: write('a.json', `{"policy":${'['.repeat(5000)}${']'.repeat(5000)}}`) }),
      '(file)',
      'file',
      /nested deeper than 128 levels/,
    ],
  ];
  for (const [what, run, key, source, reason] of cases) {
    it(what, () => {
      const err = run();
      expect(err.code).toBe('LN_ERR_CONFIG_INVALID');
      expect(String(err.details.key)).toContain(key);
      expect(String(err.details.source)).toContain(source);
      expect(err.message).toMatch(reason);
    });
  }

  it('refuses a huge file by its size, before reading it', () => {
    const file = write('big.yaml', `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n`);
    const err = failure({ cwd: '/', env: {}, file });
    expect(err.message).toMatch(/over the limit of 1048576/);
  });

  it('refuses a YAML alias bomb ("billion laughs") instead of expanding it', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const err = failure({ cwd: '/', env: {}, file: write('bomb.yaml', `${lines.join('\n')}\n`) });
    expect(err.details.key).toBe('(file)');
    expect(err.message).toMatch(/not valid YAML/);
  });

  it('refuses an unreadable file', () => {
    if (process.getuid?.() === 0) return; // root reads anything: nothing to prove here
    const file = write('secret.yaml', 'retain: 2\n');
    chmodSync(file, 0o000);
    expect(failure({ cwd: '/', env: {}, file }).message).toMatch(/permission denied/);
  });

  it('--set of an unknown key is a usage error naming the keys', () => {
    expect(codeOf(() => resolveHostConfig({ cwd: '/', env: {}, flags: [{ key: 'nope', raw: '1', source: 'flag --set nope' }] }))).toBe('LN_ERR_CONFIG_USAGE');
  });
});

describe('host config: hot reload', () => {
  function logged(): { logger: ReturnType<typeof pino>; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    return { logger, lines };
  }

  it('applies a live key at once, reports a restart key, keeps the running config on an invalid file', () => {
    const file = write('lnano.yaml', 'logLevel: info\nlisten: 127.0.0.1:7000\ntracing:\n  sampleRatio: 1\n');
    const inputs = { cwd: '/', env: {}, file };
    const { logger, lines } = logged();
    const watcher = new ConfigWatcher(inputs, resolveHostConfig(inputs), { logger });
    const seen: string[][] = [];
    watcher.subscribe((c) => seen.push([...c.applied]));

    writeFileSync(file, 'logLevel: debug\nlisten: 127.0.0.1:7999\ntracing:\n  sampleRatio: 0.1\n');
    const change = watcher.reload()!;
    expect(change.applied.sort()).toEqual(['logLevel', 'tracing.sampleRatio']);
    expect(change.needsRestart).toEqual(['listen']);
    expect(watcher.current.config.logLevel).toBe('debug');
    expect(watcher.current.config.tracing.sampleRatio).toBe(0.1);
    expect(watcher.current.config.listen).toBe('127.0.0.1:7000');
    expect(seen).toEqual([['logLevel', 'tracing.sampleRatio']]);
    expect(lines.find((l) => l.msg === 'config change needs a restart')).toMatchObject({ keys: ['listen'] });

    writeFileSync(file, 'logLevel: debug\nruntime:\n  maxDepth: lots\n');
    expect(watcher.reload()).toBeNull();
    expect(watcher.current.config.logLevel).toBe('debug');
    expect(watcher.current.config.runtime.maxDepth).toBe(8);
    const refused = lines.find((l) => l.msg === 'config reload refused; the running config stays')!;
    expect(refused.code).toBe('LN_ERR_CONFIG_INVALID');
    expect(JSON.stringify(refused)).toContain('runtime.maxDepth');
    expect(seen).toHaveLength(1);
  });

  it('flags and the environment still win over a reloaded file', () => {
    const file = write('lnano.yaml', 'logLevel: info\n');
    const inputs = { cwd: '/', env: { LNANO_LOG_LEVEL: 'warn' }, file };
    const watcher = new ConfigWatcher(inputs, resolveHostConfig(inputs), { logger: logged().logger });
    writeFileSync(file, 'logLevel: trace\n');
    expect(watcher.reload()!.applied).toEqual([]);
    expect(watcher.current.config.logLevel).toBe('warn');
  });

  it('sees the file change by itself (fs.watch)', async () => {
    const file = write('lnano.yaml', 'runtime:\n  maxDepth: 1\n');
    const inputs = { cwd: '/', env: {}, file };
    const watcher = new ConfigWatcher(inputs, resolveHostConfig(inputs), { logger: logged().logger, debounceMs: 10 });
    watcher.watch();
    try {
      writeFileSync(file, 'runtime:\n  maxDepth: 7\n');
      for (let i = 0; i < 500 && watcher.current.config.runtime.maxDepth !== 7; i++) await new Promise((r) => setTimeout(r, 10));
      expect(watcher.current.config.runtime.maxDepth).toBe(7);
    } finally {
      watcher.close();
    }
  });
});

describe('docs/config.md', () => {
  it('lists every key with its environment variable', () => {
    const doc = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    for (const k of CONFIG_KEYS) {
      expect(doc, k.key).toContain(`\`${k.key}\``);
      if (!k.fileOnly) expect(doc, k.key).toContain(envName(k.key));
    }
  });
});

describe('deploy/lnano.yaml', () => {
  it('is a valid host config, and says what the defaults are', () => {
    const file = new URL('../../../deploy/lnano.yaml', import.meta.url).pathname;
    const r = resolveHostConfig({ cwd: '/', env: {}, file });
    expect(r.config.dataDir).toBe('/var/lib/lnano');
    expect(r.config.policy.httpAllow).not.toBeNull();
    for (const key of ['retain', 'timeout', 'runtime.maxDepth', 'ingress.maxBatch', 'tracing.sampleRatio']) {
      expect(r.values.get(key), key).toEqual(CONFIG_KEYS.find((k) => k.key === key)!.default);
    }
  });
});

describe('deploy/kubernetes/configmap.yaml', () => {
  it('holds a valid host config', async () => {
    const { parse } = await import('yaml');
    const map = parse(readFileSync(new URL('../../../deploy/kubernetes/configmap.yaml', import.meta.url), 'utf8')) as { data: Record<string, string> };
    const file = write('lnano.yaml', map.data['lnano.yaml']!);
    expect(resolveHostConfig({ cwd: '/', env: {}, file }).config.listen).toBe('0.0.0.0:8080');
  });
});
