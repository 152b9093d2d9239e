/**
 * Request budgets with express-rate-limit, so one noisy client slows down alone:
 *  - `events` and `tokens`: per API key (the principal's key id), mounted after authentication on
 *    the events and token routes; each has its own budget, so a key hammering one route keeps its
 *    other budget;
 *  - `auth`: per client IP, counting failed authentications only: it runs as an error middleware
 *    on the 401 path (`authFailureLimit`), so guessing keys is slowed, while valid keys behind the
 *    same NAT are never refused because of a neighbour's bad key, and successful requests pay
 *    nothing for it.
 * A limiter mounted where no principal is known keys on the client IP (`req.ip`, which honours
 * Express's `trust proxy`; see trust-proxy.ts). Budgets are counted in this process's memory, or,
 * with `REDIS_URL`, in Redis (rate-limit-store.ts) so every replica and worker shares one budget
 * per key; a failing shared store lets requests through uncounted (`passOnStoreError`), never 5xx.
 * The events budget counts readings: a request pays one on arrival (before its body is read, so
 * a spent budget refuses it for nothing), and once its readings are counted the ingest route
 * admits the rest in one store operation (`admitEvents`, rate-limit-charge.ts): all of them if
 * they fit what is left, else the request is refused with 429 and they cost nothing more. So a
 * key's accepted readings never pass its budget, across every process sharing the store. A body
 * refused for carrying too many readings is charged what was scanned (`chargeEvents`).
 * Refusals are 429 problem+json (`GW_ERR_RATE_LIMITED`) with `Retry-After`, and every counted
 * response carries the IETF draft-7 `RateLimit` and `RateLimit-Policy` headers (draft-7 rather than
 * draft-8 because draft-8 hashes the key for every request and needs Express's `res.append`).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler, type Store } from 'express-rate-limit';
import { getPrincipal } from '../auth';
import { GatewayError } from '../errors';
import { requestIdOf } from '../observability/request-id';
import { sendProblem } from './problem';
import { isChargeable, MemoryChargeStore, type Charge, type ChargeableStore } from './rate-limit-charge';

export type RateLimitBudget = 'events' | 'tokens' | 'auth';

export interface RateLimitOptions {
  /** Which budget this limiter enforces; names the metric label and the 429 detail. */
  readonly budget: RateLimitBudget;
  /** Requests allowed per minute; scaled to `windowMs`. 0 disables the limiter. */
  readonly perMinute: number;
  /** Length of the fixed window the budget is counted in. */
  readonly windowMs?: number;
  /** Called once per refused request (metrics). */
  readonly onLimited?: (budget: RateLimitBudget) => void;
  /** The caller's identity; defaults to the authenticated API key id, else the client IP. */
  readonly keyOf?: (req: IncomingMessage) => string;
  /** Where hits are counted; default this process's memory. A shared store fails open. */
  readonly store?: Store;
}

export interface RateLimitSettings {
  readonly eventsPerMinute: number;
  readonly tokensPerMinute: number;
  readonly authFailuresPerMinute: number;
  readonly windowMs: number;
  /** Shared store (REDIS_URL); absent: budgets are counted in this process's memory. */
  readonly redis?: { readonly url: string; readonly timeoutMs: number } | undefined;
}

export interface RateLimits {
  readonly events: RateLimitRequestHandler | undefined;
  /**
   * Admits a request's readings past the first (its arrival paid one) if they fit the key's
   * budget: `undefined` when that is settled at once, else a promise; throws or rejects with
   * GW_ERR_RATE_LIMITED (and sets the `RateLimit` headers) when they do not fit.
   */
  readonly admitEvents: (
    req: IncomingMessage,
    res: ServerResponse,
    readings: number,
  ) => Promise<void> | undefined;
  /** Charges `readings - 1` more whether they fit or not (a refused body's scanned readings). */
  readonly chargeEvents: (req: IncomingMessage, readings: number) => void;
  readonly tokens: RateLimitRequestHandler | undefined;
  readonly auth: RateLimitRequestHandler | undefined;
}

export const DEFAULT_WINDOW_MS = 60_000;

/** Requests allowed in one window for a per-minute budget (at least 1); pure. */
export function limitPerWindow(perMinute: number, windowMs: number): number {
  return Math.max(1, Math.round((perMinute * windowMs) / 60_000));
}

/** The client IP, masked to its /56 for IPv6 (one subscriber's block counts as one client). */
function clientIp(req: IncomingMessage): string {
  const ip = (req as Partial<Request>).ip ?? req.socket.remoteAddress;
  return ip === undefined ? 'ip:unknown' : `ip:${ipKeyGenerator(ip)}`;
}

/** Budget key: the API key id once authenticated, else the client IP; pure over the request. */
export function rateLimitKey(req: IncomingMessage): string {
  const principal = getPrincipal(req);
  return principal === undefined ? clientIp(req) : `key:${principal.keyId}`;
}

const tooManyReadings = (readings: number, left: number): string =>
  `This request's ${readings} readings are more than the ${left} left in this API key's budget; send fewer, or retry after the indicated time.`;

const DETAILS: Record<RateLimitBudget, string> = {
  events: 'This API key sent more event requests than its budget allows; retry after the indicated time.',
  tokens: 'This API key asked for more tokens than its budget allows; retry after the indicated time.',
  auth: 'Too many failed authentication attempts from this address; retry after the indicated time.',
};

/** One limiter; `undefined` when the budget is 0 (unlimited), so nothing is mounted. */
export function createRateLimit(options: RateLimitOptions): RateLimitRequestHandler | undefined {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  if (!Number.isInteger(options.perMinute) || options.perMinute < 0)
    throw new Error(`perMinute (${options.budget}) must be a non-negative integer`);
  if (!Number.isInteger(windowMs) || windowMs < 1000) throw new Error('windowMs must be an integer >= 1000');
  if (options.perMinute === 0) return undefined;
  const { budget, onLimited } = options;
  const keyOf = options.keyOf ?? rateLimitKey;
  return rateLimit({
    windowMs,
    limit: limitPerWindow(options.perMinute, windowMs),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: budget,
    keyGenerator: (req) => keyOf(req),
    handler: (req, res, _next, used) => {
      onLimited?.(budget);
      const retryAfter = Number(res.getHeader('Retry-After') ?? Math.ceil(used.windowMs / 1000));
      const error = new GatewayError('GW_ERR_RATE_LIMITED', DETAILS[budget], {
        retryAfterSeconds: retryAfter,
        extensions: { budget },
      });
      sendProblem(res as ServerResponse, error, requestIdOf(req, res));
    },
    // Our key generator already falls back to a masked IP; `trust proxy` is validated at start.
    validate: { keyGeneratorIpFallback: false, trustProxy: false, xForwardedForHeader: false },
    ...(options.store === undefined
      ? {}
      : // The store reports its own failures (one log line per change of state, a metric).
        { store: options.store, passOnStoreError: true, logger: SILENT }),
  });
}

const SILENT = { error: () => undefined, warn: () => undefined };

/** What `createRateLimits` needs to charge and admit readings on the events budget. */
interface EventCharges {
  readonly store: ChargeableStore | undefined;
  readonly limit: number;
  readonly windowMs: number;
  readonly onLimited: ((budget: RateLimitBudget) => void) | undefined;
  /** A charge failed on a request whose arrival was counted (it now passes partly uncounted). */
  readonly onUnenforced: ((budget: RateLimitBudget) => void) | undefined;
}

/** express-rate-limit leaves this on the request once its arrival was counted. */
const counted = (req: IncomingMessage): boolean => (req as { rateLimit?: unknown }).rateLimit !== undefined;

/** `admitEvents`: one conditional charge of every reading past the first. */
function admitTo(charges: EventCharges): RateLimits['admitEvents'] {
  const { store, limit, windowMs, onLimited, onUnenforced } = charges;
  if (store === undefined) return () => undefined;
  const settle = (res: ServerResponse, readings: number, charge: Charge): void => {
    const reset = Math.max(0, Math.ceil((charge.resetTime.getTime() - Date.now()) / 1000));
    const remaining = Math.max(0, limit - charge.totalHits);
    if (!res.headersSent)
      res.setHeader('RateLimit', `limit=${limit}, remaining=${remaining}, reset=${reset}`);
    if (charge.added) return;
    onLimited?.('events');
    // The arrival's hit was counted in `totalHits`: what is left for this request includes it.
    throw new GatewayError('GW_ERR_RATE_LIMITED', tooManyReadings(readings, remaining + 1), {
      retryAfterSeconds: Math.max(1, reset || Math.ceil(windowMs / 1000)),
      extensions: { budget: 'events' },
    });
  };
  return (req, res, readings) => {
    if (!(readings > 1)) return undefined;
    // A request whose arrival passed uncounted (store down) is not charged the rest either.
    if (!counted(req)) return undefined;
    const charge = store.charge(rateLimitKey(req), readings - 1, limit);
    if (!(charge instanceof Promise)) {
      settle(res, readings, charge);
      return undefined;
    }
    return charge.then(
      (result) => settle(res, readings, result),
      // The store failed (it logs and reports its state): fail open, as the limiter does, since a
      // budget never turns into a 5xx.
      () => onUnenforced?.('events'),
    );
  };
}

/** `chargeEvents`: one unconditional charge, fire and forget (the request is refused anyway). */
function chargeTo(store: ChargeableStore | undefined): RateLimits['chargeEvents'] {
  if (store === undefined) return () => undefined;
  return (req, readings) => {
    if (!(readings > 1)) return;
    void Promise.resolve()
      .then(() => store.charge(rateLimitKey(req), readings - 1))
      .catch(() => undefined);
  };
}

/** The gateway's three budgets from its settings; `storeFor` gives each its shared store. */
export function createRateLimits(
  settings: RateLimitSettings,
  onLimited?: (budget: RateLimitBudget) => void,
  storeFor?: (budget: RateLimitBudget) => Store,
  onUnenforced?: (budget: RateLimitBudget) => void,
): RateLimits {
  const common = { windowMs: settings.windowMs, ...(onLimited === undefined ? {} : { onLimited }) };
  const store = (budget: RateLimitBudget): { store?: Store } =>
    storeFor === undefined ? {} : { store: storeFor(budget) };
  // The events store is named here (not left to the limiter) so the route can charge readings.
  const eventsStore = settings.eventsPerMinute === 0 ? undefined : chargeable(storeFor?.('events'));
  const charges: EventCharges = {
    store: eventsStore,
    limit: limitPerWindow(settings.eventsPerMinute, settings.windowMs),
    windowMs: settings.windowMs,
    onLimited,
    onUnenforced,
  };
  return {
    events: createRateLimit({
      ...common,
      ...(eventsStore === undefined ? {} : { store: eventsStore }),
      budget: 'events',
      perMinute: settings.eventsPerMinute,
    }),
    admitEvents: admitTo(charges),
    chargeEvents: chargeTo(eventsStore),
    tokens: createRateLimit({
      ...common,
      ...store('tokens'),
      budget: 'tokens',
      perMinute: settings.tokensPerMinute,
    }),
    auth: createRateLimit({
      ...common,
      ...store('auth'),
      budget: 'auth',
      perMinute: settings.authFailuresPerMinute,
      keyOf: (req) => clientIp(req),
    }),
  };
}

/** The events budget's store: one that can charge several readings at once. */
function chargeable(store: Store | undefined): ChargeableStore {
  if (store === undefined) return new MemoryChargeStore();
  if (!isChargeable(store))
    throw new Error('the events budget needs a store that charges several hits at once');
  return store;
}

/**
 * Error middleware for the 401 path: counts the failure against the client IP's `auth` budget and
 * answers 429 once it is spent, else passes the 401 on. Mount right after the routes that
 * authenticate, before the error handler. Without a limiter it passes everything through.
 */
export function authFailureLimit(limiter: RateLimitRequestHandler | undefined): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (
      limiter === undefined ||
      !(error instanceof GatewayError) ||
      error.code !== 'GW_ERR_UNAUTHENTICATED'
    ) {
      next(error);
      return;
    }
    Promise.resolve(limiter(req, res, () => next(error))).catch(next);
  };
}
