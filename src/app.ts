/**
 * The Express app: middleware mounted in the order a request's data flows through it (request id
 * and access log → security headers → unauthenticated ops routes → authentication and rate limits
 * → the ingest route → tokens → 404 → problem+json errors). No I/O at import or in `createApp`:
 * the composition root (gateway.ts) hands in every component.
 *
 * `POST /v1/events/{type}` from an authorised key is usually served before Express by
 * `createRequestListener` (the same steps, composed once; see src/http/fast-ingest.ts); the
 * Express route below serves the rest (refusals, unusual URLs) and any caller of `createApp`.
 *
 * Marked MOUNT POINT comments show where the security, metrics, health and tokens work plugs in;
 * each is meant to be a line or two here plus a field on `AppDeps`.
 */
import express, { type Express } from 'express';
import { authenticate, requireScope } from './auth/authenticate';
import { authorizeIngest } from './auth/authorize';
import { createKeyStore, type KeyStore } from './auth/key-store';
import type { Batcher } from './batching/types';
import type { Config } from './config/load-config';
import { errorHandler, methodNotAllowed, notFound } from './http/error-handler';
import { createFastIngest, type RequestListener } from './http/fast-ingest';
import { hardenApp, securityHeaderList, securityHeaders } from './http/hardening';
import { PROBLEMS_PATH_PREFIX, problemTypeRoute } from './http/problem-types';
import { createRequestGuard } from './http/request-guard';
import { CAPACITY_PATH } from './capacity/capacity-route';
import { authFailureLimit, type RateLimits } from './http/rate-limit';
import type { BodyBudget } from './ingest/body-budget';
import type { EventTypeRegistry } from './ingest/event-types';
import { EVENT_TYPES_PATH, eventTypesRoutes, SCHEMA_PATH } from './ingest/event-types-route';
import {
  createIngestHandler,
  type IngestHandler,
  type IngestObserver,
  type IngestRouteOptions,
} from './ingest/ingest-route';
import { createAccessLog } from './observability/access-log';
import { createHttpLogger } from './observability/http-logger';
import type { MetricsExposition } from './observability/cluster-metrics';
import type { Logger } from './observability/logger';
import type { GatewayMetrics } from './observability/metrics';
import { requestMetrics } from './observability/request-metrics';
import { healthz, readyz } from './ops/health-routes';
import { metricsRoute } from './ops/metrics-route';
import type { Readiness } from './ops/readiness';
import type { TokenIssuer } from './tokens/token-issuer';
import { OPENAPI_PATH } from './ops/openapi-route';
import { createTokensRouter, TOKENS_PATH } from './tokens/tokens-route';

export interface AppDeps {
  readonly config: Pick<Config, 'http' | 'ingest'> & Partial<Pick<Config, 'security'>>;
  readonly logger: Logger;
  readonly batcher: Pick<Batcher, 'enqueue' | 'placement'>;
  /** The dead-letter hub's batcher (DEAD_LETTER_EVENTHUB_NAME); absent: no dead-letter hub. */
  readonly deadLetterBatcher?: Pick<Batcher, 'enqueue' | 'placement'>;
  readonly eventTypes: EventTypeRegistry;
  /** Event counters for metrics (optional; `GatewayMetrics` fits). */
  readonly ingestObserver?: IngestObserver;
  /** Device binding for the ingest route (see `IngestRouteOptions.authorize`). */
  readonly authorizeEvents?: IngestRouteOptions['authorize'];
  /** Request counts and the /metrics route (the same object usually serves as `ingestObserver`). */
  readonly metrics?: GatewayMetrics;
  /** What /metrics serves; default `metrics.registry` (WORKERS > 1: every worker merged). */
  readonly metricsExposition?: MetricsExposition;
  /** GET /v1/capacity (capacity/capacity-route.ts); absent: not mounted. */
  readonly capacity?: RequestListener;
  /** false when METRICS_PORT serves /metrics instead of the public port. */
  readonly serveMetrics?: boolean;
  /** /readyz answers from it; without it /readyz is not mounted. */
  readonly readiness?: Readiness;
  /** Budgets from src/http/rate-limit.ts (built by the gateway, so they live as long as it). */
  readonly rateLimits?: RateLimits;
  /** API keys (`loadKeyStore`); every /v1 route requires one. Absent: every /v1 request gets 401. */
  readonly keyStore?: KeyStore;
  /** SAS token service for POST /v1/tokens (`tokenIssuerFromConfig`); absent: the route is not mounted. */
  readonly tokenIssuer?: TokenIssuer;
  /** GET /openapi.yaml (`openApiRoute`, built at start because it reads the file); absent: not mounted. */
  readonly openApi?: RequestListener;
  /** Memory of bodies being read, shared with the batcher's cap (`createBodyBudget`); absent: unbounded. */
  readonly bodyBudget?: BodyBudget;
  /** Injected for tests; default wall clock and random UUIDs. */
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/**
 * The node:http request listener of the gateway: the ingest fast path (src/http/fast-ingest.ts)
 * in front of the Express app, sharing one ingest handler, budget, logger and metrics with it.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const ingest = createIngest(deps);
  const app = buildApp(deps, ingest);
  const accessLog = createAccessLog(deps.logger);
  const securityHeaders = securityHeaderList();
  const fast = createFastIngest({
    fallback: app,
    keyStore: deps.keyStore ?? createKeyStore([]),
    ingest,
    accessLog,
    securityHeaders,
    eventsLimit: deps.rateLimits?.events,
    metrics: deps.metrics,
  });
  // Expectations and Host are refused before anything else looks at the request.
  return createRequestGuard({ next: fast, accessLog, securityHeaders });
}

export function createApp(deps: AppDeps): Express {
  return buildApp(deps, createIngest(deps));
}

function createIngest(deps: AppDeps): IngestHandler {
  return createIngestHandler({
    eventTypes: deps.eventTypes,
    batcher: deps.batcher,
    deadLetter: deps.deadLetterBatcher,
    logger: deps.logger,
    maxBodyBytes: deps.config.http.maxBodyBytes,
    maxInflationRatio: deps.config.http.maxInflationRatio,
    maxEventsPerRequest: deps.config.http.maxEventsPerRequest,
    bodyBudget: deps.bodyBudget,
    chargeEvents: deps.rateLimits?.chargeEvents,
    admitEvents: deps.rateLimits?.admitEvents,
    requestDeadlineMs: deps.config.http.requestDeadlineMs,
    messageIdField: deps.config.ingest.messageIdField,
    now: deps.now,
    newId: deps.newId,
    observer: deps.ingestObserver,
    authorize: deps.authorizeEvents ?? authorizeIngest,
  });
}

function buildApp(deps: AppDeps, ingest: IngestHandler): Express {
  const app = express();
  // Nothing here uses them, and each costs time per request or leaks the stack's name.
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // trust proxy (decides req.ip, so whose rate-limit budget a request spends), no stack pages.
  hardenApp(app, { trustProxy: deps.config.security?.trustProxy });

  // Secure by default: without a key store nothing under /v1 is reachable.
  const keyStore = deps.keyStore ?? createKeyStore([]);

  // 1. Request id (accepted or generated, echoed) and one access-log line per request.
  app.use(createHttpLogger(deps.logger));
  // Requests refused before their route matched (401, 429) are counted under `<prefix>/*`.
  if (deps.metrics !== undefined)
    app.use(requestMetrics(deps.metrics, { prefixes: ['/v1/events', '/v1/tokens', '/v1'] }));

  // 2. Response security headers (helmet's, computed once at start).
  app.use(securityHeaders());

  // 3. Unauthenticated, cheap ops routes (before authentication and rate limits).
  app.get('/healthz', healthz);
  if (deps.readiness !== undefined) app.get('/readyz', readyz(deps.readiness));
  if (deps.metrics !== undefined && deps.serveMetrics !== false)
    app.get('/metrics', metricsRoute(deps.metricsExposition ?? deps.metrics.registry));
  if (deps.openApi !== undefined) app.get(OPENAPI_PATH, deps.openApi);
  // What each problem `type` resolves to (problem+json names `/problems/<code>`).
  app.get(`${PROBLEMS_PATH_PREFIX}:code`, problemTypeRoute);

  // 4. MOUNT POINT (security): per-IP rate limit, then authenticate (401), then per-key rate limits
  //    (429) — e.g. app.use('/v1', ipLimiter, authenticate(keyStore), ...). The ingest route reads
  //    its own body, so these run before a single body byte is read.
  //    The per-key budgets key on the principal, so they must stay after authentication.
  app.use('/v1', authenticate(keyStore));
  if (deps.rateLimits?.events !== undefined) app.use('/v1/events', deps.rateLimits.events);
  if (deps.rateLimits?.tokens !== undefined) app.use('/v1/tokens', deps.rateLimits.tokens);

  // 5. Ingest: reads, parses, validates, keys, enqueues, and answers once the hub acknowledged.
  //    MOUNT POINT (security): scope `events:write` before the route; device binding goes in
  //    `deps.authorizeEvents`, which the route calls with the validated events.
  app.post('/v1/events/:type', requireScope('events:write'), (req, res) => ingest(req, res));
  app.all('/v1/events/:type', methodNotAllowed('POST'));
  // Curl aids: the event types this key may write, and their schemas.
  const eventTypes = eventTypesRoutes(deps.eventTypes, deps.config.ingest.messageIdField);
  app.get(EVENT_TYPES_PATH, requireScope('events:write'), eventTypes.list);
  app.all(EVENT_TYPES_PATH, methodNotAllowed('GET'));
  app.get(SCHEMA_PATH, requireScope('events:write'), eventTypes.schema);
  app.all(SCHEMA_PATH, methodNotAllowed('GET'));

  // 6. SAS tokens for partner apps (scope tokens:issue; the router checks it).
  if (deps.tokenIssuer !== undefined) {
    const metrics = deps.metrics;
    app.use(
      createTokensRouter({
        keyStore,
        issuer: deps.tokenIssuer,
        onIssued: metrics === undefined ? undefined : (kind) => metrics.tokensIssued(kind),
      }),
    );
    app.all(TOKENS_PATH, methodNotAllowed('POST'));
  }

  // 6b. Capacity advice for operators (scope ops:read).
  if (deps.capacity !== undefined) {
    const capacity = deps.capacity;
    app.get(CAPACITY_PATH, requireScope('ops:read'), (req, res) => capacity(req, res));
    app.all(CAPACITY_PATH, methodNotAllowed('GET'));
  }

  // 7. Nothing matched, then every error as problem+json.
  app.use(notFound);
  // Failed authentications spend the client IP's `auth` budget (429 once spent), then errors.
  app.use(authFailureLimit(deps.rateLimits?.auth));
  app.use(errorHandler);
  return app;
}
