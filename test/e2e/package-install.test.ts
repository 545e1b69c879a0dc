/**
 * The package people install: `npm pack` of this checkout, installed globally into a temporary
 * prefix with the machine's npm (better-sqlite3 builds there), then the installed `lnano` run
 * from a folder that is not this checkout: `--version`, `run --invoke` and `serve` with its
 * console. The tarball holds the compiled host, wit/, the SDK and the docs, and no tests,
 * sources or example binaries.
 *
 * Slow (npm resolves the dependencies from its cache and compiles better-sqlite3), so it runs
 * once, concurrently with the other test files.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ROOT } from '../helpers/cli.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-host.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface PackEntry {
  readonly path: string;
  readonly size: number;
}
interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly PackEntry[];
}

const work = mkdtempSync(join(tmpdir(), 'lnano-package-'));
const prefix = join(work, 'prefix');
const elsewhere = join(work, 'elsewhere');
const installedBin = join(prefix, 'lib', 'node_modules', 'liquid-nano', 'bin', 'lnano.js');
let packed: Packed;

describe('the installable package', () => {
  beforeAll(async () => {
    // dist/host is compiled by the test setup; the console bundle by `npm install` (prepare).
    if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) await run(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')]);
    // --ignore-scripts: prepack would rebuild dist/ under the feet of the tests running beside
    // this one; what prepack builds is what the test setup built.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 64 * MiB });
    packed = (JSON.parse(stdout) as Packed[])[0]!;
    await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], {
      cwd: work,
      maxBuffer: 64 * MiB,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    mkdirSync(elsewhere, { recursive: true });
  }, 900_000);

  it('is at most 10 MiB and holds the host, the console, wit/, the SDK and the docs, not tests or binaries', () => {
    expect(packed.size).toBeLessThanOrEqual(10 * MiB);
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'bin/lnano.js',
      'dist/host/index.js',
      'dist/host/index.d.ts',
      'dist/host/cli/main.js',
      'dist/host/sandbox/worker-main.js',
      'dist/console/index.html',
      'dist/console/app.js',
      'sdk/languages.mjs',
      'README.md',
      'docs/errors.md',
      'docs/manifest.schema.json',
    ]) {
      expect(paths, needed).toContain(needed);
    }
    expect(paths.some((p) => p.startsWith('wit/') && p.endsWith('.wit'))).toBe(true);
    for (const p of paths) {
      expect(p, p).not.toMatch(/^(test|components|host|scripts)\//);
      expect(p, p).not.toMatch(/\.(wasm|map|tsbuildinfo)$/);
    }
  });

  it('installs globally: lnano --version, from another folder', async () => {
    const { stdout } = await run(join(prefix, 'bin', 'lnano'), ['--version'], { cwd: elsewhere });
    expect(stdout.trim()).toBe(`lnano ${VERSION}`);
  });

  it('runs a component with --invoke from another folder', async () => {
    const wasm = join(elsewhere, 'numbers.wasm');
    copyFileSync(fixture('numbers'), wasm);
    const { stdout } = await run(join(prefix, 'bin', 'lnano'), ['run', wasm, '--data-dir', join(elsewhere, 'data-run'), '--invoke', 'add-u32(40, 2)'], {
      cwd: elsewhere,
    });
    expect(stdout).toBe('42\n');
  });

  describe('lnano serve from the installation', () => {
    let serve: ServeProcess;
    beforeAll(async () => {
      serve = await spawnServe(
        ['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--data-dir', join(elsewhere, 'data-serve'), '--log-level', 'warn'],
        {
          bin: installedBin,
          cwd: elsewhere,
          env: { ...process.env, LNANO_CONFIG: '' },
        },
      );
    });
    afterAll(() => {
      serve?.child.kill('SIGTERM');
    });

    it('answers /health and serves the built console', async () => {
      const health = await fetch(`${serve.ingressUrl}/health`);
      expect(health.status).toBe(200);
      const page = await fetch(`${serve.adminUrl}/console/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script[^>]+app\.js/);
      // the data dir is where it was told, not in the package or the checkout
      expect(existsSync(join(elsewhere, 'data-serve'))).toBe(true);
    });
  });
});
