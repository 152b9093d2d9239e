/**
 * One access-log line per request via pino-http, at a level chosen by status: 5xx error, 4xx info
 * (a client mistake is not an operator's problem), the rest info. Serializers keep the line small
 * and leave headers out, so keys and tokens cannot reach a log through them.
 *
 * Every Express route logs through this; the ingest fast path writes the same line with
 * `createAccessLog` (access-log.ts), which shares the level and message functions below.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { accessLogMessage, levelForStatus, loggedStatus, type LoggedRequest } from './access-log';
import type { Logger } from './logger';
import { requestIdOf } from './request-id';

export { levelForStatus } from './access-log';

/**
 * The URL as received: inside middleware mounted on a path (the `/v1/events` budget) Express has
 * cut the mount path off `req.url` when the response finishes, so a 429 used to be logged as
 * `POST /telemetry 429`. `originalUrl` is what the `req.url` field of the same line holds.
 */
function receivedUrl(req: IncomingMessage): string | undefined {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
}

export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdOf(req, res),
    customLogLevel: (_req, res, error) => levelForStatus(loggedStatus(res), error),
    customSuccessMessage: (req, res) => accessLogMessage(req.method, receivedUrl(req), loggedStatus(res)),
    customErrorMessage: (req, res) => accessLogMessage(req.method, receivedUrl(req), loggedStatus(res)),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }): LoggedRequest => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      // pino's serialised response keeps the original as `raw`.
      res: (res: { statusCode: number; raw?: ServerResponse }) => ({
        statusCode: res.raw === undefined ? res.statusCode : loggedStatus(res.raw),
      }),
    },
  });
}
