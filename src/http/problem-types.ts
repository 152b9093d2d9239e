/**
 * What each problem `type` resolves to. Every problem+json the gateway writes names its type as
 * `/problems/<code>`, a reference resolved against the URL of the request (RFC 9457 §3.1.1), so
 * it leads to the gateway that answered: `GET /problems/GW_ERR_BUFFER_FULL` documents the code
 * (status, title, whether a retry may help, when it happens and what to do). Unauthenticated and
 * cheap, like the other ops routes; the documents are built once at start.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, GatewayError, type ErrorCode } from '../errors';
import { requestIdOf } from '../observability/request-id';
import { sendProblem } from './problem';

export const PROBLEMS_PATH_PREFIX = '/problems/';

/** When each code is answered, and what the client should do. One entry per code of the catalogue. */
const DESCRIPTIONS = {
  GW_ERR_BAD_JSON:
    'The body is not valid JSON; `line`, `column` and `position` say where it breaks. Fix the body; do not retry it as is.',
  GW_ERR_BAD_REQUEST:
    'The request is not usable: an empty body, invalid gzip, a body the client stopped sending, unparsable HTTP, or a missing, repeated or invalid Host header. Fix the request.',
  GW_ERR_UNAUTHENTICATED:
    'No API key, a malformed or unknown one, or two different keys in Authorization and X-API-Key. Send a valid key as `Authorization: Bearer <key>` or `X-API-Key`.',
  GW_ERR_FORBIDDEN:
    'The key is valid but may not do this: a missing scope, an event type or sensor it may not write (`index` names the first reading refused), or a token it may not ask for.',
  GW_ERR_NOT_FOUND: 'No route for this method and path.',
  GW_ERR_UNKNOWN_TYPE: 'No such event type; `knownTypes` lists the types the gateway has.',
  GW_ERR_METHOD_NOT_ALLOWED: 'The path exists but not with this method; `Allow` lists the methods it serves.',
  GW_ERR_REQUEST_TIMEOUT:
    'The headers or the whole request did not arrive in time (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS); the connection was closed. Retry on a new connection.',
  GW_ERR_BODY_TOO_LARGE:
    'The body is over MAX_BODY_BYTES (`limit`), on the wire or after gunzip, or a gzip body inflates more than MAX_INFLATION_RATIO times its size (`maxInflationRatio`). Send smaller requests.',
  GW_ERR_UNSUPPORTED_MEDIA_TYPE:
    'Content-Type must be application/json or application/x-ndjson (UTF-8), Content-Encoding gzip or none.',
  GW_ERR_VALIDATION:
    'Readings failed their type’s JSON Schema; `errors` lists index, pointer and message (at most 50; validation stops there). Nothing of the request was sent.',
  GW_ERR_PARTITION_KEY:
    'A reading has no usable partition key (missing, empty, or over 128 characters). Nothing of the request was sent.',
  GW_ERR_EVENT_TOO_LARGE:
    'One reading (`index`) is larger than the hub accepts in one publication (`maxMessageSize`). Nothing of the request was sent.',
  GW_ERR_LATE_READING: 'A reading is older than its event type allows.',
  GW_ERR_FUTURE_READING: 'A reading is dated further in the future than its event type allows.',
  GW_ERR_RATE_LIMITED:
    'Over the budget named in `budget` (the key’s events or tokens, counted in readings for events, or the client IP’s failed authentications). Retry after `Retry-After` seconds.',
  GW_ERR_HEADERS_TOO_LARGE: 'The request headers are larger than the server accepts.',
  GW_ERR_INTERNAL: 'The gateway failed unexpectedly; retrying may help. The request id finds the log line.',
  GW_ERR_HUB_REFUSED:
    'Event Hubs refused the gateway itself for good (unauthorized, entity not found): a misconfiguration of the gateway, not of the request. A retry gets the same answer until an operator fixes it.',
  GW_ERR_NOT_CONFIGURED: 'The feature is not configured on this gateway (e.g. no SAS policy for tokens).',
  GW_ERR_SEND_FAILED:
    'Event Hubs did not accept the readings (`sinkCode` names the class of failure). Retry with the same body; message ids let consumers drop duplicates.',
  GW_ERR_BUFFER_FULL:
    'Readings waiting for the hub and bodies being read fill MAX_BUFFERED_BYTES. Retry after `Retry-After` seconds.',
  GW_ERR_DEADLINE:
    'Event Hubs did not acknowledge within REQUEST_DEADLINE_MS; readings not yet sent were withdrawn. Retry with the same message ids.',
  GW_ERR_SHUTTING_DOWN: 'The gateway is shutting down. Retry; another replica will answer.',
  GW_ERR_UNAVAILABLE: 'The gateway cannot serve now (starting, draining, the hub not reached yet). Retry.',
  GW_ERR_TOO_MANY_EVENTS:
    'The body holds more than MAX_EVENTS_PER_REQUEST readings (`limit`), counted before any is parsed. Split the batch.',
  GW_ERR_EXPECTATION_FAILED:
    'The request carries an Expect header other than 100-continue. Send it without that header.',
} as const satisfies Record<ErrorCode, string>;

/** The problem `type` of a code: a reference to its document on the answering gateway. */
export function problemTypeOf(code: ErrorCode): string {
  return `${PROBLEMS_PATH_PREFIX}${code}`;
}

/** The document served for one code (exported for tests). */
export function problemTypeDocument(code: ErrorCode): Record<string, unknown> {
  const { status, title, retryable } = ERRORS[code];
  return { type: problemTypeOf(code), code, status, title, retryable, description: DESCRIPTIONS[code] };
}

const DOCUMENTS: ReadonlyMap<string, string> = new Map(
  (Object.keys(ERRORS) as ErrorCode[]).map((code) => [code, JSON.stringify(problemTypeDocument(code))]),
);

/** `GET /problems/{code}` (Express route, or any node handler with `req.url`). */
export function problemTypeRoute(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  const end = url.indexOf('?');
  const code = url.slice(PROBLEMS_PATH_PREFIX.length, end === -1 ? undefined : end);
  const body = url.startsWith(PROBLEMS_PATH_PREFIX) ? DOCUMENTS.get(code) : undefined;
  if (body === undefined) {
    sendProblem(
      res,
      new GatewayError('GW_ERR_NOT_FOUND', `No problem type ${JSON.stringify(code.slice(0, 64))}.`),
      requestIdOf(req, res),
    );
    return;
  }
  requestIdOf(req, res);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'public, max-age=3600');
  res.end(body);
}
