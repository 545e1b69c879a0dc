// A real host for the HTTP benches: a version manager in a temp data dir, plugins deployed from
// the example components under names of our choosing, the event runtime (LiquidNanoRuntime) and a
// real IngressServer on 127.0.0.1 (port 0).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Internals, not the package's public surface (host/index.ts).
import { LiquidNanoRuntime } from '../../dist/host/events/liquid-nano-runtime.js';
import { Engine, parseManifest, readManifest, silentLogger } from '../../dist/host/index.js';
import { IngressServer } from '../../dist/host/server/ingress-server.js';
import { VersionManager } from '../../dist/host/versions/version-manager.js';

const EXAMPLES = new URL('../../components/', import.meta.url);

/** The bytes of an example component (`echo-c`, `echo-ts`). */
export const exampleBytes = (name) => new Uint8Array(readFileSync(new URL(`${name}/component.wasm`, EXAMPLES)));

/**
 * A version manager with a fresh engine over a fresh temp data dir (or `dataDir`), its transpile
 * cache in the data dir, and a way to remove it all.
 */
export function benchManager(label = 'host', options = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `lnano-bench-${label}-`));
  const manager = new VersionManager({ dataDir, engine: new Engine({ cacheDir: join(dataDir, 'cache') }), logger: silentLogger() });
  return {
    dataDir,
    manager,
    manifest: (fields) => parseManifest(fields, 'bench', dataDir),
    async close() {
      await manager.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A host serving `count` copies of an example component, named `<prefix>-<i>`, each subscribed
 * to `events(i)` (default: exactly `bench.event`, the type of `envelope()`, so the echoes they
 * answer with, routed again as follow-up events, reach no plugin and each event costs `count` calls).
 */
export async function benchHost({ component = 'echo-c', count = 1, prefix = 'p', events = () => ['bench.event'], limits = {} } = {}) {
  const host = benchManager(`${prefix}${count}`);
  const { digest } = await host.manager.storeArtifact(exampleBytes(component));
  for (let i = 0; i < count; i++) {
    await host.manager.deploy({
      manifest: host.manifest({ name: `${prefix}-${i}`, version: '1.0.0', events: events(i), limits }),
      digest,
      actor: 'bench',
    });
  }
  return serve(host, { digest });
}

/**
 * A host serving every example component (components/*, what `npm start` seeds) under its own
 * manifest: a `hello` event reaches the seven echo plugins, as in the issue's measurement.
 */
export async function examplesHost() {
  const host = benchManager('examples');
  const folders = await deployExamples(host);
  return serve(host, { plugins: folders });
}

/**
 * Deploys every example component (components/*) on a bench manager under its own manifest, as
 * `serve` seeds them; `limits` are laid over each manifest's. Answers the folder names, sorted.
 */
export async function deployExamples(host, { limits } = {}) {
  const folders = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  await Promise.all(
    folders.map(async (folder) => {
      const manifest = await readManifest(new URL(`${folder}/manifest.json`, EXAMPLES).pathname);
      if (limits) manifest.limits = { ...manifest.limits, ...limits };
      const { digest } = await host.manager.storeArtifact(exampleBytes(folder));
      await host.manager.deploy({ manifest, digest, actor: 'bench', approveCapabilities: true });
    }),
  );
  return folders;
}

/** The event runtime and a real IngressServer on 127.0.0.1 (port 0) over a bench manager. */
async function serve(host, extra) {
  const runtime = new LiquidNanoRuntime({ source: host.manager, logger: silentLogger() });
  const ingress = new IngressServer({ plugins: runtime, logger: silentLogger() });
  const address = await ingress.listen(0, '127.0.0.1');
  return {
    ...host,
    ...extra,
    runtime,
    url: `http://127.0.0.1:${address.port}/events`,
    async close() {
      await ingress.close();
      await host.close();
    },
  };
}

/** A CloudEvents-style envelope of about `dataBytes` of JSON data. */
export function envelope(type = 'bench.event', dataBytes = 64) {
  return { id: 'bench-1', type, source: '/bench', data: { text: 'x'.repeat(dataBytes) } };
}
