/**
 * The ingest hot path without Express: `POST /v1/events/{type}` from an authenticated key with
 * scope `events:write` is served by a pipeline composed here once, in the order the Express app
 * mounts the same steps (request id → access log and metrics → security headers → per-key events
 * budget → ingest). Every other request, and every request this path would refuse before the
 * budget is spent (no key, a wrong key, a missing scope), goes to the Express app untouched, so
 * refusals keep one implementation (401 with the auth-failure budget, 403, 405, 404).
 *
 * Why: Express's router, pino-http and the middleware chain cost ~150 µs of CPU per request on a
 * CI-class core (issue 6), more than everything else the gateway does for a reading. The steps
 * here are the same components (the same express-rate-limit instance, so its headers, counts and
 * 429 body are those of the Express route; the same logger and metrics), called directly.
 * `test/http/fast-path-parity.test.ts` checks that both paths answer, log and count alike.
 *
 * Per request this allocates what it must (the state below, the limiter's continuation) and
 * nothing else; listeners are shared functions reading the state from the response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { RateLimitRequestHandler } from 'express-rate-limit';
import { authenticateHeader, rememberPrincipal } from '../auth/authenticate';
import type { KeyStore } from '../auth/key-store';
import { GatewayError } from '../errors';
import type { IngestHandler } from '../ingest/ingest-route';
import type { AccessLogWriter } from '../observability/access-log';
import type { GatewayMetrics } from '../observability/metrics';
import { requestIdOf } from '../observability/request-id';
import { applySecurityHeaders, type HeaderList } from './hardening';
import { sendProblem } from './problem';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface FastIngestOptions {
  /** Everything this path does not serve (the Express app). */
  readonly fallback: RequestListener;
  readonly keyStore: KeyStore;
  readonly ingest: IngestHandler;
  readonly accessLog: AccessLogWriter;
  readonly securityHeaders: HeaderList;
  /** The per-key events budget (`RateLimits.events`); absent: unlimited. */
  readonly eventsLimit?: RateLimitRequestHandler | undefined;
  readonly metrics?: Pick<GatewayMetrics, 'requestFinished'> | undefined;
}

/** The labels Express gives this route: matched, or refused by the budget before matching. */
export const INGEST_ROUTE = '/v1/events/:type';
export const INGEST_PREFIX_ROUTE = '/v1/events/*';

/*
 * URLs Express would route to `/v1/events/:type` with `req.url` unchanged: one plain segment and
 * an optional query. Anything unusual (encoded characters, other case, trailing slash) takes the
 * Express path, which handles it as before.
 */
const FAST_URL = /^\/v1\/events\/[A-Za-z0-9._~-]+(?:\?.*)?$/s;

const STATE = Symbol('fastIngest');

interface FastState {
  readonly req: IncomingMessage;
  readonly startedAt: number;
  route: string;
  done: boolean;
}

type TrackedResponse = ServerResponse & { [STATE]?: FastState };

export function createFastIngest(options: FastIngestOptions): RequestListener {
  const { fallback, keyStore, ingest, accessLog, securityHeaders, eventsLimit } = options;
  const metrics = options.metrics;

  function finish(res: TrackedResponse, error: Error | undefined): void {
    const state = res[STATE];
    if (state === undefined || state.done) return;
    state.done = true;
    res.removeListener('close', onClose);
    res.removeListener('error', onError);
    // Express counts on 'finish' only: a response cut before it ends is logged, not counted.
    if (metrics !== undefined && res.writableFinished)
      metrics.requestFinished('POST', state.route, res.statusCode);
    accessLog(state.req, res, state.startedAt, error);
  }
  function onClose(this: TrackedResponse): void {
    finish(this, undefined);
  }
  function onError(this: TrackedResponse, error: Error): void {
    finish(this, error);
  }

  function afterLimit(req: IncomingMessage, res: TrackedResponse, error?: unknown): void {
    if (error !== undefined) {
      // A failing store; Express would pass it to the error handler before any route matched.
      sendProblem(res, error, requestIdOf(req, res));
      return;
    }
    const state = res[STATE];
    if (state !== undefined) state.route = INGEST_ROUTE;
    ingest(req, res);
  }

  return function listener(req, res: TrackedResponse) {
    if (req.method !== 'POST' || req.url === undefined || !FAST_URL.test(req.url)) {
      fallback(req, res);
      return;
    }
    const principal = authenticateHeader(keyStore, req.headers.authorization, req.headers['x-api-key']);
    if (principal instanceof GatewayError || !principal.scopes.has('events:write')) {
      // Refusals (and the auth-failure budget they spend) stay with Express.
      fallback(req, res);
      return;
    }
    rememberPrincipal(req, principal);
    try {
      // The order of the Express app: request id and log, metrics, security headers, budget, route.
      requestIdOf(req, res);
      res[STATE] = { req, startedAt: Date.now(), route: INGEST_PREFIX_ROUTE, done: false };
      res.on('close', onClose);
      res.on('error', onError);
      applySecurityHeaders(res, securityHeaders);
      if (eventsLimit === undefined) {
        afterLimit(req, res);
      } else {
        // The Express middleware itself, so headers, counting and the 429 are the Express route's.
        Promise.resolve(
          eventsLimit(req as Request, res as Response, (error?: unknown) => afterLimit(req, res, error)),
        ).catch((error: unknown) => sendProblem(res, error, requestIdOf(req, res)));
      }
    } catch (error) {
      sendProblem(res, error, requestIdOf(req, res));
    }
  };
}
