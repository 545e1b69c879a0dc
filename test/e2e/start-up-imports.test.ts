/**
 * Issue 15, "start fast": a command loads only what it uses. `lnano run --invoke` must not load
 * OpenTelemetry's SDK or exporter, prom-client, pino-pretty, the HTTP servers, the event runtime,
 * yaml or jco's transpiler (warm cache), nor `@opentelemetry/api` (tracing is off); `lnano serve`
 * with tracing off must not load the SDK. `run` places its instance inline (no sandbox worker to
 * start) unless a policy floor says otherwise: the guest's preview2-shim then loads in the main
 * thread (the hook sees only the main thread's modules).
 * Checked on the list of module files the real CLI process loaded (no timing involved).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, ROOT, tempDataDir } from '../helpers/cli.js';

const HOOK = join(ROOT, 'test', 'helpers', 'loaded-modules-hook.mjs');

/** Runs `lnano <args>` and returns the module files it loaded. */
function loadedBy(args: readonly string[]): { files: string[]; stdout: string; status: number | null } {
  const list = join(mkdtempSync(join(tmpdir(), 'lnano-loaded-')), 'modules.txt');
  const run = spawnSync(process.execPath, ['--import', HOOK, join(ROOT, 'bin', 'lnano.js'), ...args], {
    env: { ...process.env, LNANO_LOADED_MODULES: list, LNANO_CONFIG: '' },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  return { files: readFileSync(list, 'utf8').split('\n'), stdout: run.stdout, status: run.status };
}

const packageLoaded = (files: readonly string[], pkg: string): boolean => files.some((f) => f.includes(`/node_modules/${pkg}/`));
const hostLoaded = (files: readonly string[], path: string): boolean => files.some((f) => f.includes(`/dist/host/${path}`));

describe('start-up imports (issue 15)', () => {
  it('lnano run --invoke with a warm cache loads no tracing SDK, metrics, servers, runtime, yaml, transpiler or instrumenter', () => {
    const dataDir = tempDataDir();
    const args = ['run', fixture('numbers'), '--data-dir', dataDir, '--invoke', 'add-u32(1, 2)'];
    expect(spawnSync(process.execPath, [join(ROOT, 'bin', 'lnano.js'), ...args]).status).toBe(0); // fills the cache
    const { files, stdout, status } = loadedBy(args);
    expect(status).toBe(0);
    expect(stdout).toBe('3\n');
    // The list is real: the run path's own modules are in it.
    expect(hostLoaded(files, 'cli/commands/run.js')).toBe(true);
    expect(hostLoaded(files, 'sandbox/instance.js')).toBe(true);
    for (const pkg of [
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/resources',
      '@opentelemetry/api',
      'prom-client',
      'pino-pretty',
      'yaml',
      'better-sqlite3',
      '@bytecodealliance/jco-transpile',
      'zod',
    ])
      expect(packageLoaded(files, pkg), pkg).toBe(false);
    for (const path of [
      'server/',
      'versions/manifest.js',
      'cli/commands/serve.js',
      'cli/commands/pipeline.js',
      'events/liquid-nano-runtime.js',
      'observability/metrics-registry.js',
      'observability/tracing.js',
      'engine/transpile-worker.js',
      'engine/instrument/instrument.js',
    ]) {
      expect(hostLoaded(files, path), path).toBe(false);
    }
  });

  it('lnano run loads zod only for something to validate: a limit flag', () => {
    const dataDir = tempDataDir();
    const args = ['run', fixture('numbers'), '--data-dir', dataDir, '--invoke', 'add-u32(1, 2)', '--memory', '64MiB'];
    expect(spawnSync(process.execPath, [join(ROOT, 'bin', 'lnano.js'), ...args]).status).toBe(0); // fills the cache
    const { files, stdout } = loadedBy(args);
    expect(stdout).toBe('3\n');
    expect(packageLoaded(files, 'zod')).toBe(true);
  });

  it('lnano run places its instance inline, or in a worker under a policy floor of shared', () => {
    const dataDir = tempDataDir();
    const args = ['run', fixture('numbers'), '--data-dir', dataDir, '--invoke', 'add-u32(1, 2)'];
    expect(spawnSync(process.execPath, [join(ROOT, 'bin', 'lnano.js'), ...args]).status).toBe(0); // fills the cache
    const inline = loadedBy(args);
    expect(inline.stdout).toBe('3\n');
    expect(packageLoaded(inline.files, '@bytecodealliance/preview2-shim')).toBe(true);
    const config = join(mkdtempSync(join(tmpdir(), 'lnano-floor-')), 'config.json');
    writeFileSync(config, JSON.stringify({ policy: { limits: { isolation: 'shared' } } }));
    const floored = loadedBy([...args, '--config', config]);
    expect(floored.stdout).toBe('3\n');
    expect(packageLoaded(floored.files, '@bytecodealliance/preview2-shim')).toBe(false);
  });

  it('lnano serve with tracing off loads no OpenTelemetry SDK or exporter', () => {
    const { files, status } = loadedBy(['serve', '--print-config', '--data-dir', tempDataDir()]);
    expect(status).toBe(0);
    expect(hostLoaded(files, 'observability/tracing.js')).toBe(true);
    for (const pkg of [
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/exporter-trace-otlp-http',
      '@opentelemetry/resources',
      '@opentelemetry/semantic-conventions',
    ]) {
      expect(packageLoaded(files, pkg), pkg).toBe(false);
    }
  });

  it('lnano --help loads no command module', () => {
    const { files, status } = loadedBy(['--help']);
    expect(status).toBe(0);
    expect(hostLoaded(files, 'cli/main.js')).toBe(true);
    expect(files.some((f) => f.includes('/dist/host/cli/commands/'))).toBe(false);
  });
});
