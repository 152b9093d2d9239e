/**
 * `GET /v1/capacity` (scope `ops:read`; also unauthenticated on the ops port with METRICS_PORT):
 * the capacity report (capacity-report.ts) of this replica. Assumptions the gateway cannot see
 * come as query parameters: `tier` (standard | premium), `growth` (the partition advice's growth
 * factor) and `consumers` (consumer instances reading the hub in parallel).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors';
import { sendProblem } from '../http/problem';
import { requestIdOf } from '../observability/request-id';
import { capacityReport, DEFAULT_ASSUMPTIONS, type CapacityAssumptions } from './capacity-report';
import type { MeterSnapshot } from './ingress-meter';

export const CAPACITY_PATH = '/v1/capacity';

/** This replica's meters, merged (with WORKERS > 1 the primary gathers every worker's). */
export type SnapshotSource = () => Promise<MeterSnapshot>;

const badRequest = (detail: string): GatewayError => new GatewayError('GW_ERR_BAD_REQUEST', detail);

/** The query's assumptions, defaults for what is absent; throws 400 naming a bad parameter. */
export function parseAssumptions(query: string): CapacityAssumptions {
  const params = new URLSearchParams(query);
  for (const name of params.keys())
    if (!['tier', 'growth', 'consumers'].includes(name))
      throw badRequest(`Unknown parameter ${JSON.stringify(name)}: use tier, growth, consumers.`);
  const tier = params.get('tier') ?? DEFAULT_ASSUMPTIONS.tier;
  if (tier !== 'standard' && tier !== 'premium') throw badRequest('tier must be standard or premium.');
  const growth = Number(params.get('growth') ?? DEFAULT_ASSUMPTIONS.growthFactor);
  if (!Number.isFinite(growth) || growth < 1 || growth > 10)
    throw badRequest('growth must be a number from 1 to 10.');
  const consumers = Number(params.get('consumers') ?? DEFAULT_ASSUMPTIONS.consumers);
  if (!Number.isInteger(consumers) || consumers < 1 || consumers > 1024)
    throw badRequest('consumers must be an integer from 1 to 1024.');
  return { tier: tier, growthFactor: growth, consumers };
}

export function capacityRoute(source: SnapshotSource): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? '';
    const at = url.indexOf('?');
    let assumptions: CapacityAssumptions;
    try {
      assumptions = parseAssumptions(at < 0 ? '' : url.slice(at + 1));
    } catch (error) {
      sendProblem(res, error, requestIdOf(req, res));
      return;
    }
    source().then(
      (snapshot) => {
        const body = JSON.stringify(capacityReport(snapshot, assumptions));
        res.statusCode = 200;
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store');
        res.end(body);
      },
      (error: unknown) => sendProblem(res, error, requestIdOf(req, res)),
    );
  };
}
