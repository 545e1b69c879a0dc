// lifecycle.teardown runs (best effort, bounded) on every instance a version retires: when a
// deploy replaces it, when a rollback leaves it, and when the host shuts down. The emitter-c
// fixture logs "teardown" from inside the guest, so each call is seen in the host log with the
// version it came from.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { createLogger } from '../../host/log/logger.js';
import { parseManifest } from '../../host/versions/manifest.js';
import { VersionManager } from '../../host/versions/version-manager.js';
import { fixture } from '../helpers/cli.js';

const EMITTER = readFileSync(fixture('emitter-c'));

it('calls teardown when a version is retired by a deploy, a rollback and shutdown', async () => {
  const teardowns: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { guest?: { message?: string }; version?: string };
          if (entry.guest?.message === 'teardown') teardowns.push(String(entry.version));
        }
        done();
      },
    }),
  });
  const manager = new VersionManager({
    dataDir: mkdtempSync(join(tmpdir(), 'lnano-teardown-')),
    engine: new Engine({ cacheDir: mkdtempSync(join(tmpdir(), 'lnano-teardown-cache-')) }),
    logger,
  });
  await manager.restore();
  const { digest } = await manager.storeArtifact(EMITTER);
  const deploy = (version: string) =>
    manager.deploy({
      manifest: parseManifest({ name: 'tear', version, limits: { minInstances: 2, concurrency: 2 } }, 'test', tmpdir()),
      digest,
      actor: 'test',
    });
  const settled = async (n: number): Promise<void> => {
    for (let i = 0; i < 500 && teardowns.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };
  await deploy('1.0.0');
  await deploy('2.0.0'); // immediate: 1.0.0 is drained and retired
  await settled(2);
  expect(teardowns).toEqual(['1.0.0', '1.0.0']); // once per warm instance

  await manager.rollback('tear', { actor: 'test' }); // 1.0.0 again; 2.0.0 retired
  await settled(4);
  expect(teardowns.slice(2)).toEqual(['2.0.0', '2.0.0']);

  await manager.close(); // shutdown retires the active version too
  await settled(6);
  expect(teardowns.slice(4)).toEqual(['1.0.0', '1.0.0']);
}, 60_000);
