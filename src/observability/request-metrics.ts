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

/**
 * The matched route pattern, for a metrics label; pure over the request and response. Requests
 * answered before a route matched (a 401 or 429 from middleware, an error) are labelled with the
 * first of `prefixes` their path starts with, as `<prefix>/*`, else `unmatched`.
 */
export function routeLabel(req: Request, res: Response, prefixes: readonly string[] = []): string {
  const explicit: unknown = res.locals[ROUTE_LABEL_LOCAL];
  if (typeof explicit === 'string') return explicit;
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route) {
    const path: unknown = route.path;
    if (typeof path === 'string') return (req.baseUrl ?? '') + path;
  }
  const url = req.originalUrl ?? req.url;
  for (const prefix of prefixes) {
    if (url.startsWith(prefix)) {
      const next = url.charCodeAt(prefix.length);
      // Whole path segments only: `/v1/events` matches `/v1/events/x` and `/v1/events?`, not `/v1/eventsx`.
      if (Number.isNaN(next) || next === 0x2f || next === 0x3f) return `${prefix}/*`;
    }
  }
  return UNMATCHED_ROUTE;
}

export interface RequestMetricsOptions {
  /** Path prefixes that label requests refused before their route matched (see `routeLabel`). */
  readonly prefixes?: readonly string[];
}

export function requestMetrics(
  metrics: Pick<GatewayMetrics, 'requestFinished'>,
  options: RequestMetricsOptions = {},
): RequestHandler {
  const prefixes = options.prefixes ?? [];
  return (req: Request, res: Response, next: NextFunction): void => {
    res.once('finish', () =>
      metrics.requestFinished(req.method, routeLabel(req, res, prefixes), res.statusCode),
    );
    next();
  };
}
