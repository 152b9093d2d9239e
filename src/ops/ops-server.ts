/**
 * The optional ops server on METRICS_PORT: `/metrics`, `/healthz` and `/readyz` on a port that
 * need not be public. It is a bare node:http server (no Express, no auth, no access log: probes
 * every few seconds would drown the log) and it closes last on shutdown, so an orchestrator sees
 * `/readyz` turn 503 while the public server drains.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsExposition } from '../observability/cluster-metrics';
import { GatewayError } from '../errors';
import { sendProblem } from '../http/problem';
import { healthz, readyz } from './health-routes';
import { metricsRoute } from './metrics-route';
import type { Readiness } from './readiness';

export interface OpsServerOptions {
  readonly port: number;
  readonly host: string;
  readonly registry: MetricsExposition;
  readonly readiness: Readiness;
  /** GET /v1/capacity, unauthenticated here like /metrics (this port is not public). */
  readonly capacity?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OpsServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const routes = new Map([
    ['/metrics', metricsRoute(options.registry)],
    ['/healthz', healthz],
    ['/readyz', readyz(options.readiness)],
    ...(options.capacity === undefined ? [] : ([['/v1/capacity', options.capacity]] as const)),
  ]);
  const server = createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const route = routes.get(path);
    if (route === undefined) {
      sendProblem(res, new GatewayError('GW_ERR_NOT_FOUND', `No route for ${path}.`), undefined);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(
        res,
        new GatewayError('GW_ERR_METHOD_NOT_ALLOWED', 'Use GET.', { extensions: { allow: 'GET, HEAD' } }),
        undefined,
      );
    } else {
      route(req, res);
    }
  });
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
