/**
 * The one catalogue of gateway errors. Each code has an HTTP status, a title, and whether a retry
 * may help; `GatewayError` carries a code through the pipeline and the error middleware turns it
 * into RFC 9457 problem+json. Nothing outside this file invents status codes.
 */

export const ERRORS = {
  GW_ERR_BAD_JSON: { status: 400, title: 'Malformed JSON', retryable: false },
  GW_ERR_BAD_REQUEST: { status: 400, title: 'Bad request', retryable: false },
  GW_ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication required', retryable: false },
  GW_ERR_FORBIDDEN: { status: 403, title: 'Not allowed for this API key', retryable: false },
  GW_ERR_NOT_FOUND: { status: 404, title: 'Not found', retryable: false },
  GW_ERR_UNKNOWN_TYPE: { status: 404, title: 'Unknown event type', retryable: false },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', retryable: false },
  GW_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time', retryable: true },
  GW_ERR_BODY_TOO_LARGE: { status: 413, title: 'Body too large', retryable: false },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', retryable: false },
  GW_ERR_VALIDATION: { status: 422, title: 'Events failed validation', retryable: false },
  GW_ERR_PARTITION_KEY: { status: 422, title: 'Invalid partition key', retryable: false },
  GW_ERR_EVENT_TOO_LARGE: { status: 422, title: 'Event larger than the hub accepts', retryable: false },
  // Readings judged by their type's eventTime rules (reading-decisions.ts).
  GW_ERR_LATE_READING: { status: 422, title: 'Reading later than its type allows', retryable: false },
  GW_ERR_FUTURE_READING: { status: 422, title: 'Reading from the future', retryable: false },
  GW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests', retryable: true },
  GW_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large', retryable: false },
  GW_ERR_INTERNAL: { status: 500, title: 'Internal error', retryable: true },
  // Event Hubs refused for good (unauthorized, entity not found): a retry gets the same answer.
  GW_ERR_HUB_REFUSED: { status: 500, title: 'Event Hubs refused the gateway', retryable: false },
  GW_ERR_NOT_CONFIGURED: { status: 501, title: 'Not configured', retryable: false },
  GW_ERR_SEND_FAILED: { status: 503, title: 'Event Hubs did not accept the events', retryable: true },
  GW_ERR_BUFFER_FULL: { status: 503, title: 'Gateway buffer full', retryable: true },
  GW_ERR_DEADLINE: { status: 503, title: 'Events not acknowledged in time', retryable: true },
  GW_ERR_SHUTTING_DOWN: { status: 503, title: 'Gateway shutting down', retryable: true },
  GW_ERR_UNAVAILABLE: { status: 503, title: 'Service unavailable', retryable: true },
  // Bounded requests and the HTTP edge (checked before the body where possible).
  GW_ERR_TOO_MANY_EVENTS: { status: 413, title: 'Too many events in one request', retryable: false },
  GW_ERR_EXPECTATION_FAILED: { status: 417, title: 'Expectation not supported', retryable: false },
} as const satisfies Record<string, { status: number; title: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  /** Extra members for the problem body (e.g. `errors` for validation, `index` for 403). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Seconds for a `Retry-After` header. */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: GatewayErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = ERRORS[code].retryable;
    this.extensions = options.extensions ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  retryable: boolean;
  requestId: string | undefined;
  [extension: string]: unknown;
}

/** RFC 9457 body for an error; unknown errors become a bare 500 with no internals. */
export function toProblem(error: unknown, requestId: string | undefined): ProblemBody {
  const known =
    error instanceof GatewayError
      ? error
      : new GatewayError('GW_ERR_INTERNAL', 'The gateway failed unexpectedly.');
  return {
    ...known.extensions,
    // Resolved against the request's URL: GET /problems/<code> on the gateway documents it.
    type: `/problems/${known.code}`,
    title: ERRORS[known.code].title,
    status: known.status,
    detail: known.message,
    code: known.code,
    retryable: known.retryable,
    requestId,
  };
}
