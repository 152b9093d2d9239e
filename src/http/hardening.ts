/**
 * HTTP hardening that is not about who the caller is: response security headers (helmet,
 * configured for a JSON API rather than a web page), Express settings that leak or trust too
 * much, and the node:http server limits that stop slow or idle clients from holding sockets.
 *
 * The helmet configuration is evaluated once at start into a fixed header list, so the hot path
 * (or a plain node:http handler that bypasses Express) sets the same headers with one loop
 * instead of a dozen middleware calls.
 *
 * Server timeouts must be passed to `http.createServer(serverOptions(...))`: Node checks
 * `headersTimeout` and `requestTimeout` on a timer (`connectionsCheckingInterval`, 30 s by
 * default) that can only be set at creation, and the default would let a slowloris client hold a
 * socket for up to 30 s past its deadline.
 */

import { applyHttpProtocol } from './http-protocol';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { TrustProxySetting } from './trust-proxy';

export interface ServerLimits {
  /** Time allowed to receive the complete request headers. */
  readonly headersTimeoutMs?: number;
  /** Time allowed to receive the complete request (headers and body). */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive socket stays open between requests. */
  readonly keepAliveTimeoutMs?: number;
  /** Concurrent connections; further connections are closed on accept. 0 = no cap. */
  readonly maxConnections?: number;
  /** Largest request header block in bytes. */
  readonly maxHeaderSize?: number;
}

export const DEFAULT_SERVER_LIMITS = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
  maxHeaderSize: 16_384,
} satisfies Required<ServerLimits>);

/** Helmet for an API: nothing may be rendered, framed, sniffed or embedded from our responses. */
const helmetOptions: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginEmbedderPolicy: { policy: 'require-corp' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  xFrameOptions: { action: 'deny' },
  xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
  xDnsPrefetchControl: { allow: false },
};
export const HELMET_OPTIONS: Readonly<HelmetOptions> = Object.freeze(helmetOptions);

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/** The headers helmet sets with `options`, computed once by running it against a recorder. */
export function securityHeaderList(options: Readonly<HelmetOptions> = HELMET_OPTIONS): HeaderList {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  let called = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error instanceof Error ? error : new Error('helmet failed');
    called = true;
  });
  // Helmet is synchronous today; if a future version is not, fail at start rather than silently.
  if (!called) throw new Error('helmet did not complete synchronously; securityHeaderList needs updating');
  return Object.freeze([...headers].map(([name, value]) => Object.freeze([name, value] as const)));
}

/** Sets a precomputed header list on a plain node response (no Express needed). */
export function applySecurityHeaders(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

/** Express middleware setting helmet's headers from the list computed at start. */
export function securityHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): RequestHandler {
  const headers = securityHeaderList(options);
  return (_req, res, next) => {
    applySecurityHeaders(res, headers);
    next();
  };
}

/**
 * Express settings: no `X-Powered-By`, `trust proxy` from TRUST_PROXY (it decides `req.ip`, so
 * whose rate-limit budget a request spends), and the production `env`, so Express's own fallback
 * error page never renders a stack trace even if our error handler is bypassed.
 */
export function hardenApp(app: Express, options: { readonly trustProxy?: TrustProxySetting } = {}): void {
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.set('env', 'production');
}

function resolved(limits: ServerLimits): Required<ServerLimits> {
  const all = {
    headersTimeoutMs: limits.headersTimeoutMs ?? DEFAULT_SERVER_LIMITS.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs ?? DEFAULT_SERVER_LIMITS.requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs,
    maxConnections: limits.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections,
    maxHeaderSize: limits.maxHeaderSize ?? DEFAULT_SERVER_LIMITS.maxHeaderSize,
  };
  for (const [name, value] of Object.entries(all))
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  if (all.headersTimeoutMs < 1) throw new Error('headersTimeoutMs must be at least 1');
  if (all.requestTimeoutMs < all.headersTimeoutMs)
    throw new Error(
      `requestTimeoutMs (${all.requestTimeoutMs}) must not be below headersTimeoutMs (${all.headersTimeoutMs})`,
    );
  return all;
}

/**
 * Options for `http.createServer`. The checking interval follows the headers timeout (a quarter of
 * it, between 100 ms and 1 s) so a slow client is cut off close to its deadline; the check walks
 * the connection list, which is cheap at that rate.
 */
export function serverOptions(limits: ServerLimits = {}): ServerOptions {
  const all = resolved(limits);
  return {
    headersTimeout: all.headersTimeoutMs,
    requestTimeout: all.requestTimeoutMs,
    keepAliveTimeout: all.keepAliveTimeoutMs,
    maxHeaderSize: all.maxHeaderSize,
    // The request guard refuses a missing Host as problem+json (node would answer a bare 400).
    requireHostHeader: false,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(all.headersTimeoutMs / 4))),
  };
}

/** Limits settable after creation; call on the created server before `listen`. */
export function applyServerLimits(server: Server, limits: ServerLimits = {}): void {
  const all = resolved(limits);
  server.headersTimeout = all.headersTimeoutMs;
  server.requestTimeout = all.requestTimeoutMs;
  server.keepAliveTimeout = all.keepAliveTimeoutMs;
  if (all.maxConnections > 0) server.maxConnections = all.maxConnections;
  applyHttpProtocol(server);
}
