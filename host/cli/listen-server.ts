/**
 * `lnano run <c.wasm> --listen host:port`: serves one `wasi:http/proxy` component on its own
 * HTTP listener, like `wasmtime serve`, with the run's grants and limits: every path goes to the
 * component, request and response bodies stream under `limits.maxPayload` / `limits.maxOutput`,
 * each request runs under `limits.timeout` (default 5 s), and up to `limits.concurrency`
 * instances (each in its own worker) serve requests side by side. Stops on SIGINT/SIGTERM
 * (open requests finish first).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Component, findExport } from '../engine/component.js';
import { LnError, toLnError } from '../errors/ln-error.js';
import { silentLogger } from '../log/logger.js';
import { InstancePool } from '../resources/instance-pool.js';
import type { Limits } from '../resources/limits.js';
import type { IncomingHttpCall } from '../sandbox/incoming-http-types.js';
import type { InstanceOptions } from '../sandbox/instance.js';
import { serveExchange } from '../server/http-routes/route-exchange.js';
import { requestIdOf } from '../server/http-service.js';
import type { HttpCallOutcome } from '../versions/live-version.js';
import type { CliIo } from './cli-io.js';

/** `host:port` (IPv6 in brackets) as a listen address. @throws LnError `LN_ERR_CONFIG_USAGE` */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new LnError('LN_ERR_CONFIG_USAGE', { command: 'run', reason: `--listen "${text.slice(0, 80)}" is not host:port (e.g. 127.0.0.1:8000)` });
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * Serves until `stop` resolves (default: SIGINT or SIGTERM); returns the exit code (0).
 *
 * @param onListening - called with the bound address (tests pass port 0)
 * @throws LnError `LN_ERR_CONFIG_USAGE` for a component that is not a wasi:http/proxy
 */
export async function listen(
  component: Component,
  instance: InstanceOptions,
  limits: Limits,
  address: { host: string; port: number },
  io: CliIo,
  stop: Promise<void> = signalled(),
): Promise<number> {
  const handle = component.kind === 'http-proxy' ? findExport(component.shape, 'incoming-handler#handle') : undefined;
  if (!handle) {
    throw new LnError('LN_ERR_CONFIG_USAGE', {
      command: 'run',
      reason: '--listen serves a wasi:http/proxy component (it exports wasi:http/incoming-handler); this one does not',
    });
  }
  // Each instance blocks its thread while it waits for the client: one worker each.
  const pool = new InstancePool(component, { name: 'run', limits, logger: silentLogger(), instance: { ...instance, isolation: 'worker' } });
  await pool.warm();
  const target = {
    name: 'run',
    serve: (http: IncomingHttpCall): Promise<HttpCallOutcome> =>
      pool.call(handle, [], { http }).then(
        (o) => ({ ok: true as const, version: 'run', usage: o.usage }),
        (err: unknown) => ({ ok: false as const, error: toLnError(err) }),
      ),
  };
  const exchangeLimits = { maxRequestBytes: limits.maxPayloadBytes, maxResponseBytes: limits.maxOutputBytes, timeoutMs: limits.timeoutMs };
  const server = createServer((req, res) => {
    void serveExchange(req, res, target, exchangeLimits, requestIdOf(req.headers['x-request-id']));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new LnError('LN_ERR_CONFIG_USAGE', { command: 'run', reason: `cannot listen on ${address.host}:${address.port}: ${err.message}` })),
    );
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  io.stderr.write(`serving http://${shown}:${bound.port}/ (Ctrl-C to stop)\n`);
  await stop;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await pool.close();
  return 0;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
