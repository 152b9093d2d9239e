/**
 * `GET /metrics`: the gateway's registry in Prometheus text format. Unauthenticated, like most
 * Prometheus endpoints; set METRICS_PORT to serve it on a port that is not exposed publicly.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsExposition } from '../observability/cluster-metrics';
import { sendProblem } from '../http/problem';
import { requestIdOf } from '../observability/request-id';

/** `registry`: a prom-client Registry, or with WORKERS > 1 the cluster-wide view of one. */
export function metricsRoute(
  registry: MetricsExposition,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      },
      (error: unknown) => sendProblem(res, error, requestIdOf(req, res)),
    );
  };
}
