/** Inputs the fuzzers found (see test/fuzz/regressions/README.md), each with what must hold now. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../host/engine/engine.js';
import { isLnError } from '../../host/errors/ln-error.js';
import { silentLogger } from '../../host/log/logger.js';
import { AdminServer } from '../../host/server/admin-server.js';

const bytes = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, import.meta.url)));

describe('fuzzer regressions', () => {
  it('a component that makes jco panic fails alone: later loads still work (wit-parser-panic.wasm)', async () => {
    const engine = new Engine({ memoryCacheEntries: 0 });
    const panics = bytes('./regressions/wit-parser-panic.wasm');
    const good = bytes('../fixtures/components/numbers/component.wasm');
    for (let round = 0; round < 2; round++) {
      const err = await engine.load(panics, 'panics.wasm').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLnError(err) && err.code).toBe('LN_ERR_LOAD_INVALID');
      expect((err as Error).message).toMatch(/the transpiler panicked: internal error: entered unreachable code/);
      // Before the fix this failed with "cannot enter component instance" until a restart.
      const component = await engine.load(good, 'numbers.wasm');
      expect(component.kind).toBe('library');
      expect(component.modules.size).toBeGreaterThan(0);
    }
  });

  it('a malformed %-escape in an admin path is a 400, not a 500 LN_ERR_INTERNAL_UNEXPECTED (admin fuzz)', async () => {
    const server = new AdminServer({
      token: 'regression-token-0123456789',
      logger: silentLogger(),
      routes: [{ method: 'POST', path: '/v1/components/:name/abort', handler: (req) => ({ body: { name: req.params.name } }) }],
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const post = (path: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer regression-token-0123456789' },
        });
      const bad = await post('/v1/components/%ZZ/abort');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'LN_ERR_ADMIN_BAD_REQUEST', message: expect.stringContaining('malformed %-escape') });
      const good = await post('/v1/components/echo%2Dc/abort');
      expect(await good.json()).toEqual({ name: 'echo-c' });
    } finally {
      await server.close();
    }
  });

  it('the transpiler thread does not keep a process alive after its work (lnano inspect exits)', () => {
    // The thread idles for 30 s before it stops; a process that loaded a component must not wait for it.
    const cli = new URL('../../bin/lnano.js', import.meta.url).pathname;
    const fixture = new URL('../fixtures/components/types/component.wasm', import.meta.url).pathname;
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-inspect-'));
    const run = spawnSync(process.execPath, [cli, 'inspect', fixture, '--json', '--data-dir', dataDir], { timeout: 20_000, encoding: 'utf8' });
    rmSync(dataDir, { recursive: true, force: true });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: expect.any(String) });
  });
});
