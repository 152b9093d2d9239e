/**
 * One access-log line per request via pino-http, at a level chosen by status: 5xx error, 4xx info
 * (a client mistake is not an operator's problem), the rest info. Serializers keep the line small
 * and leave headers out, so keys and tokens cannot reach a log through them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from './logger';
import { requestIdOf } from './request-id';

/** 5xx → error; an aborted or failed response below 500 → warn; everything else → info. */
export function levelForStatus(status: number, error?: Error): 'error' | 'warn' | 'info' {
  if (status >= 500) return 'error';
  return error === undefined ? 'info' : 'warn';
}

export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdOf(req, res),
    customLogLevel: (_req, res, error) => levelForStatus(res.statusCode, error),
    customSuccessMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
