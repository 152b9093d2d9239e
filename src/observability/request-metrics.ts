/**
 * Counts finished HTTP requests by method, route pattern and status. The route label is the
 * pattern Express matched (`/v1/events/:type`), never the raw URL, so scanners probing random
 * paths add one `unmatched` series, not one per path. Mount it first, so it sees every request,
 * including the ones refused by later middleware.
 */

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GatewayMetrics } from './metrics';

export const UNMATCHED_ROUTE = 'unmatched';

/** Lets a handler outside Express routing (or a limiter before it) name the route it served. */
export const ROUTE_LABEL_LOCAL = 'metricsRoute';

/** The matched route pattern, for a metrics label; pure over the request and response. */
export function routeLabel(req: Request, res: Response): string {
  const explicit: unknown = res.locals[ROUTE_LABEL_LOCAL];
  if (typeof explicit === 'string') return explicit;
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route) {
    const path: unknown = route.path;
    if (typeof path === 'string') return (req.baseUrl ?? '') + path;
  }
  // Answered by middleware mounted on a prefix (a 401 or 429 before the route): name the prefix.
  // (Express's final handler leaves `baseUrl` undefined, despite its type.)
  const base = req.baseUrl as string | undefined;
  return base === undefined || base === '' ? UNMATCHED_ROUTE : `${base}/*`;
}

export function requestMetrics(metrics: Pick<GatewayMetrics, 'requestFinished'>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.once('finish', () => metrics.requestFinished(req.method, routeLabel(req, res), res.statusCode));
    next();
  };
}
