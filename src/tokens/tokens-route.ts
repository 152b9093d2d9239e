/**
 * `POST /v1/tokens`: authenticate (API key), require `tokens:issue`, parse the small JSON body,
 * issue, answer with `Cache-Control: no-store`. The router protects itself (authentication is
 * idempotent), so it is safe wherever it is mounted. Nothing here logs: the response carries a
 * live credential, and the request carries an API key.
 */

import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { GatewayError } from '../errors';
import { authenticate, getPrincipal, requireScope } from '../auth/authenticate';
import type { KeyStore } from '../auth/key-store';
import type { TokenIssuer } from './token-issuer';
import { parseTokenRequest } from './token-request';

export interface TokensRouteOptions {
  readonly keyStore: KeyStore;
  readonly issuer: TokenIssuer;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** Called once per issued token (`publisher`, `hub-send`, `hub-listen`), e.g. a metrics counter. */
  readonly onIssued?: (kind: string) => void;
  /** Body limit for this route; a token request is a few dozen bytes. */
  readonly bodyLimitBytes?: number;
}

export const TOKENS_PATH = '/v1/tokens';

// body-parser raises http-errors; turn them into catalogue errors so they stay 4xx problems.
const bodyErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (error instanceof GatewayError) return next(error);
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large')
    return next(new GatewayError('GW_ERR_BODY_TOO_LARGE', 'The token request body is too large.'));
  if (type === 'entity.parse.failed')
    return next(new GatewayError('GW_ERR_BAD_JSON', 'The body is not valid JSON.'));
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return next(new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.'));
  next(error);
};

export function createTokensRouter(options: TokensRouteOptions): Router {
  const now = options.now ?? Date.now;
  const router = Router();
  const json = express.json({ limit: options.bodyLimitBytes ?? 4096, strict: true });
  const parseBody: RequestHandler = (req, res, next) => {
    if (req.body !== undefined) return next();
    if (!req.is('application/json'))
      return next(
        new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the token request as application/json.'),
      );
    json(req, res, next);
  };
  const issue: RequestHandler = (req, res) => {
    const principal = getPrincipal(req);
    if (principal === undefined) throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'An API key is required.');
    const request = parseTokenRequest(req.body);
    if (request instanceof GatewayError) throw request;
    const issued = options.issuer.issue(principal, request, now());
    options.onIssued?.(request.scope === 'publisher' ? 'publisher' : `hub-${request.access}`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.status(200).json(issued);
  };
  router.post(
    TOKENS_PATH,
    authenticate(options.keyStore),
    requireScope('tokens:issue'),
    parseBody,
    bodyErrors,
    issue,
  );
  return router;
}
