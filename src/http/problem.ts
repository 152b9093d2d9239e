/**
 * Writes an error as RFC 9457 `application/problem+json`, the one way every route answers a
 * failure. Used by the Express error middleware and by the ingest route's plain handler, so both
 * produce the same bytes. 5xx errors are attached to `res.err` for the access log (pino-http).
 */
import type { ServerResponse } from 'node:http';
import { GatewayError, toProblem } from '../errors';
import { bodyStillArriving } from './socket-state';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Seconds a client should wait before retrying a retryable error that names none. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export function sendProblem(res: ServerResponse, error: unknown, requestId: string | undefined): void {
  const problem = toProblem(error, requestId);
  if (problem.status >= 500) res.err = error instanceof Error ? error : new Error(String(error));
  if (res.headersSent) {
    // Too late for a problem body; cut the response so the client sees a failure, not a success.
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  res.statusCode = problem.status;
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  // Refused before its body arrived: the rest is read and discarded (lingering-close.ts), then the
  // connection closes, rather than the client being left to send a body nobody will read.
  if (res.req !== undefined && bodyStillArriving(res.req)) res.setHeader('Connection', 'close');
  if (problem.status === 503 || problem.status === 429) {
    const seconds = error instanceof GatewayError ? error.retryAfterSeconds : undefined;
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(seconds ?? DEFAULT_RETRY_AFTER_SECONDS))));
  }
  if (problem.code === 'GW_ERR_METHOD_NOT_ALLOWED' && error instanceof GatewayError) {
    const allow = error.extensions.allow;
    if (typeof allow === 'string') res.setHeader('Allow', allow);
  }
  res.end(body);
}
