/**
 * The first step of every request, before the fast path and Express: refuses what RFC 9112 says a
 * server must refuse before looking at anything else, as problem+json with a request id (node
 * would answer a bare status line, or nothing):
 *  - an `Expect:` other than `100-continue` (marked by expect-continue.ts) → 417;
 *  - no `Host` on HTTP/1.1, more than one `Host` line, or a `Host` that is not a valid
 *    `host[:port]` → 400 (a proxy and the gateway must not disagree on which host was asked).
 * Refused requests close their connection (after the lingering close, if a body is on its way).
 * The check walks `rawHeaders` once: a few comparisons per request on the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors';
import type { AccessLogWriter } from '../observability/access-log';
import { requestIdOf } from '../observability/request-id';
import { expectationFailed } from './expect-continue';
import type { RequestListener } from './fast-ingest';
import { applySecurityHeaders, type HeaderList } from './hardening';
import { sendProblem } from './problem';

export interface RequestGuardOptions {
  readonly next: RequestListener;
  readonly accessLog: AccessLogWriter;
  readonly securityHeaders: HeaderList;
}

/** RFC 3986 authority without userinfo: IP literal, IPv4 or reg-name, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]{0,5})?$/;

/** Why the Host header is unacceptable, or undefined when it is fine. Pure. */
export function hostProblem(rawHeaders: readonly string[], httpVersion: string): string | undefined {
  let count = 0;
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      count++;
      value = rawHeaders[i + 1];
    }
  }
  if (count > 1) return 'The request has more than one Host header.';
  if (count === 0) return httpVersion === '1.0' ? undefined : 'The request has no Host header.';
  if (!VALID_HOST.test(value ?? '')) return 'The Host header is not a valid host[:port].';
  return undefined;
}

export function createRequestGuard(options: RequestGuardOptions): RequestListener {
  const { next, accessLog, securityHeaders } = options;

  const refuse = (req: IncomingMessage, res: ServerResponse, error: GatewayError): void => {
    const startedAt = Date.now();
    const requestId = requestIdOf(req, res);
    res.once('close', () => accessLog(req, res, startedAt));
    applySecurityHeaders(res, securityHeaders);
    res.setHeader('Connection', 'close');
    sendProblem(res, error, requestId);
  };

  return function guard(req, res) {
    if (expectationFailed(req)) {
      refuse(
        req,
        res,
        new GatewayError(
          'GW_ERR_EXPECTATION_FAILED',
          'Only "Expect: 100-continue" is supported; send the request without this Expect header.',
        ),
      );
      return;
    }
    const problem = hostProblem(req.rawHeaders, req.httpVersion);
    if (problem !== undefined) {
      refuse(req, res, new GatewayError('GW_ERR_BAD_REQUEST', problem));
      return;
    }
    next(req, res);
  };
}
