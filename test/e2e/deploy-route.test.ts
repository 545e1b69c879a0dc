/**
 * `lnano deploy <c.wasm> --route …` against a real `lnano serve` (issue 18): the http-echo
 * fixture served on its route of the ingress listener, a second deploy with an overlapping route
 * refused with LN_ERR_VERSION_ROUTE_CONFLICT (exit 2), the ingress's own paths untouched, and the
 * route's requests counted in `lnano_ingress_request_duration_seconds` under the route's pattern.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli, tempDataDir } from '../helpers/cli.js';
import { send } from '../helpers/http-client.js';
import { spawnServe } from '../helpers/serve-host.js';

const dataDir = tempDataDir();
let child: ChildProcessWithoutNullStreams | undefined;
let ingress = '';
let admin = '';

beforeAll(async () => {
  const serve = await spawnServe(['--no-seed', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--log-level', 'warn'], {
    env: { ...process.env, LNANO_DATA_DIR: dataDir },
  });
  child = serve.child;
  ingress = serve.ingressUrl;
  admin = serve.adminUrl;
}, 120_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const lnano = (...args: string[]) => runCli([...args, '--server', admin], { dataDir });

describe('lnano deploy --route', () => {
  it('serves the component on its route, refuses an overlapping one, leaves /health alone', async () => {
    const first = await lnano('deploy', fixture('http-echo'), '--name', 'web', '--version', '1.0.0', '--route', '/web/...');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toMatch(/an HTTP component on \/web\/\.\.\./);
    const answer = await send(`${ingress}/web/hello?x=1`, { method: 'POST', body: [Buffer.from('from the CLI')] });
    expect([answer.status, answer.body.toString(), answer.headers['x-echo-path']]).toEqual([200, 'from the CLI', '/web/hello?x=1']);
    const clash = await lnano('deploy', fixture('http-echo'), '--name', 'web2', '--version', '1.0.0', '--route', '/web/admin/...');
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/LN_ERR_VERSION_ROUTE_CONFLICT.*"\/web\/admin\/\.\.\.".*"\/web\/\.\.\." of web/);
    expect((await send(`${ingress}/health`)).status).toBe(200);
    // A route's request skips fastify's own hooks (the reply is hijacked) and is still counted, by its pattern.
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const metrics = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^lnano_ingress_request_duration_seconds_count\{method="POST",route="\/web\/\.\.\.",code="200"\} 1$/m);
    expect(metrics).not.toContain('route="/web/hello');
  }, 120_000);
});
