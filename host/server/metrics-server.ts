/**
 * The metrics listener (config key `metrics.listen`, off by default): `GET /metrics` without the
 * admin token, on an address of its own, for a Prometheus that should not hold the admin token.
 * It answers nothing else (404; 405 for another method on `/metrics`). What it exposes is what
 * the admin API's `GET /metrics` exposes: counts and names of components, versions and pipelines,
 * never payloads or the token. On a loopback address a request must name a loopback `Host` (no
 * DNS rebinding), as on the admin API.
 *
 * @example
 * const server = new MetricsServer({ logger, metrics: () => metrics.scrape() });
 * await server.listen(9464, '127.0.0.1');   // curl http://127.0.0.1:9464/metrics
 * await server.close();
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LnError } from '../errors/ln-error.js';
import type { Logger } from '../log/logger.js';
import { PROMETHEUS_TEXT } from '../observability/metrics-registry.js';
import { ADMIN_ERRORS } from './admin-server.js';
import { HttpService } from './http-service.js';
import { reboundHostReason } from './request-origin.js';

export interface MetricsServerOptions {
  readonly logger: Logger;
  /** The Prometheus text of one scrape (`HostMetrics.scrape`). */
  readonly metrics: () => Promise<string> | string;
}

export class MetricsServer extends HttpService {
  constructor(options: MetricsServerOptions) {
    super({ logger: options.logger, name: 'metrics', errors: ADMIN_ERRORS });
    this.app.route({
      method: 'GET',
      url: '/metrics',
      handler: async (_request, reply) =>
        reply
          .code(200)
          .type(PROMETHEUS_TEXT)
          .send(await options.metrics()),
    });
    this.refuseOtherMethods('/metrics', ['GET']);
  }

  protected admit(request: FastifyRequest, _reply: FastifyReply): void {
    const rebound = reboundHostReason(request.raw, this.loopback);
    if (rebound !== null) throw new LnError('LN_ERR_ADMIN_CROSS_SITE', { reason: rebound });
  }
}
