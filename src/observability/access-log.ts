/**
 * The access-log line of one request, written without pino-http: the same fields, message and
 * level that `createHttpLogger` (pino-http with our serializers) writes, through the same pino
 * logger, so redaction (paths and the line scrubber) applies alike.
 *
 * Why a second writer: pino-http costs ~10 µs per request on the ingest hot path (a child logger
 * per request that serialises `req` through pino-std-serializers' full request object, two arrays,
 * three listeners). The fast ingest path (src/http/fast-ingest.ts) calls `write` once when the
 * response is done; every Express route keeps pino-http. `test/http/fast-path-parity.test.ts`
 * holds the two writers to the same output.
 *
 * Redaction: a line without an error holds only the fields below (a request id that passed
 * `safeRequestId` or a UUID, method, URL, peer address, status, time) — no headers, no key-named
 * field — so none of the logger's redact paths can match it, yet pino would still run the path
 * redactor over `req` and `res` for every line (~2.5 % of the ingest path's CPU, issue 6). Those
 * lines go through a child of the logger without redact paths; the line scrubber
 * (`hooks.streamWrite`, inherited by the child) still runs over every line, and a URL is only
 * ever cleaned by it. Lines with an error carry arbitrary error fields, so they keep the parent's
 * redaction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger';

/** 5xx → error; an aborted or failed response below 500 → warn; everything else → info. */
export function levelForStatus(status: number, error?: Error): 'error' | 'warn' | 'info' {
  if (status >= 500) return 'error';
  return error === undefined ? 'info' : 'warn';
}

/**
 * What a line reports when the client closed the connection before the response ended (nginx's
 * convention): the status set on the response was never sent, and logging it would read as a
 * success for a request whose readings were withdrawn.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** The status an access-log line reports: the one sent, or 499 when none was. */
export function loggedStatus(res: Pick<ServerResponse, 'statusCode' | 'writableEnded'>): number {
  return res.writableEnded ? res.statusCode : CLIENT_CLOSED_REQUEST;
}

/** `POST /v1/events/telemetry 200`: the message of every access-log line. */
export function accessLogMessage(
  method: string | undefined,
  url: string | undefined,
  status: number,
): string {
  return `${method} ${url} ${status}`;
}

/** The `req` field of an access-log line: no headers, so no key can reach the log through it. */
export interface LoggedRequest {
  readonly id: unknown;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly remoteAddress: string | undefined;
}

export type AccessLogWriter = (
  req: IncomingMessage,
  res: ServerResponse,
  startedAt: number,
  /** An `error` event of the response (pino-http's `err` argument), rare. */
  error?: Error,
) => void;

export function createAccessLog(logger: Logger): AccessLogWriter {
  // Same level, bindings, serializers and hooks as `logger`; only the redact paths are dropped.
  const plain = logger.child({}, { redact: [] });
  return function write(req, res, startedAt, error) {
    const status = loggedStatus(res);
    const level = levelForStatus(status, error);
    // Read once per line, not per request start: the line is all that needs it.
    const logged: LoggedRequest = {
      id: req.id,
      method: req.method,
      url: req.url,
      remoteAddress: req.socket.remoteAddress,
    };
    const message = accessLogMessage(req.method, req.url, status);
    const responseTime = Date.now() - startedAt;
    if (error !== undefined || res.err !== undefined || status >= 500) {
      const err = error ?? res.err ?? new Error(`failed with status code ${status}`);
      logger[level]({ req: logged, res: { statusCode: status }, err, responseTime }, message);
      return;
    }
    plain[level]({ req: logged, res: { statusCode: status }, responseTime }, message);
  };
}
