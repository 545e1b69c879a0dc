/**
 * Issue 14 item 10: a host that goes away in the middle of `lnano deploy` is a coded error
 * (`LN_ERR_ADMIN_CONNECTION_LOST`, exit 1), not "Internal error ... This is a bug". The host is a
 * real HTTP server on loopback that answers the upload, starts the deploy's NDJSON answer and
 * then drops the connection, as a host killed mid-deploy does.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../host/cli/admin-client.js';
import { example, runLnano } from '../../helpers/cli.js';

let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'PUT' && req.url === '/v1/artifacts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ digest: `sha256:${'0'.repeat(64)}`, created: true }));
      } else if (req.method === 'POST' && req.url === '/v1/deployments') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(`${JSON.stringify({ step: 'validate', detail: 'ok' })}\n`, () => res.socket?.destroy());
      } else {
        req.socket.destroy(); // dies before answering at all
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('a host that goes away mid-request', () => {
  it('lnano deploy reports LN_ERR_ADMIN_CONNECTION_LOST with exit 1 after the steps it saw', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lnano-lost-'));
    const r = await runLnano(['deploy', example('echo-c'), '--name', 'echo-c', '--version', '1.0.0', '--server', url, '--token', 't'], cwd, {});
    expect(r.stderr).toContain('✓ validate');
    expect(r.stderr).toContain(`error[LN_ERR_ADMIN_CONNECTION_LOST]: The host at ${url} went away during POST /v1/deployments`);
    expect(r.stderr).not.toContain('LN_ERR_INTERNAL');
    expect(r.code).toBe(1);
  });

  it('a request the host drops before answering is LN_ERR_ADMIN_CONNECTION_LOST too', async () => {
    const client = new AdminClient(url, 't');
    await expect(client.request('GET', '/v1/components')).rejects.toMatchObject({ code: 'LN_ERR_ADMIN_CONNECTION_LOST' });
  });
});
