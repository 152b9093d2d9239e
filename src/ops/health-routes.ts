/**
 * `GET /healthz` (the process is alive and its event loop turns) and `GET /readyz` (this replica
 * should get traffic; see readiness.ts). Both unauthenticated, cheap, never cached, and plain
 * node handlers, so they serve on the public app and on the separate ops port alike. A 503 is
 * problem+json like every other failure, with the reason as an extension.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors';
import { sendProblem } from '../http/problem';
import { requestIdOf } from '../observability/request-id';
import type { Readiness } from './readiness';

export type OpsHandler = (req: IncomingMessage, res: ServerResponse) => void;

const ALIVE = Buffer.from('{"status":"alive"}');
const READY = Buffer.from('{"status":"ready"}');

function sendJson(res: ServerResponse, body: Buffer): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

export const healthz: OpsHandler = (_req, res) => sendJson(res, ALIVE);

export function readyz(readiness: Readiness): OpsHandler {
  return (req, res) => {
    const result = readiness.check();
    if (result.ready) {
      const body =
        result.degraded === undefined
          ? READY
          : Buffer.from(
              JSON.stringify({
                status: 'degraded',
                partitions: result.degraded,
                ...(result.deadLetterHub === undefined ? {} : { deadLetterHub: result.deadLetterHub }),
              }),
            );
      sendJson(res, body);
      return;
    }
    const error = new GatewayError('GW_ERR_UNAVAILABLE', result.detail, {
      extensions: {
        reason: result.reason,
        ...(result.partitions === undefined || result.partitions.length === 0
          ? {}
          : { partitions: result.partitions }),
      },
    });
    sendProblem(res, error, requestIdOf(req, res));
  };
}
