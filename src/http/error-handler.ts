/**
 * The last two Express layers: a 404 for routes nobody claimed, and the error middleware that
 * turns anything thrown or passed to `next(err)` into problem+json (unknown errors become a bare
 * 500; the stack goes to the log through `res.err`, never to the client).
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GatewayError } from '../errors';
import { requestIdOf } from '../observability/request-id';
import { sendProblem } from './problem';

export const notFound: RequestHandler = (req, res) => {
  sendProblem(
    res,
    new GatewayError('GW_ERR_NOT_FOUND', `No route for ${req.method} ${req.path}.`),
    requestIdOf(req, res),
  );
};

/** 405 for a known path with the wrong method; `allow` lists the methods that path serves. */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, res) => {
    const error = new GatewayError(
      'GW_ERR_METHOD_NOT_ALLOWED',
      `${req.method} is not allowed here; use ${allow}.`,
      {
        extensions: { allow },
      },
    );
    sendProblem(res, error, requestIdOf(req, res));
  };
}

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  sendProblem(res, fromExpress(error), requestIdOf(req, res));
};

/** Errors Express itself raises (e.g. a malformed URL) carry a 4xx `status`; keep them 4xx. */
function fromExpress(error: unknown): unknown {
  if (error instanceof GatewayError) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new GatewayError('GW_ERR_BAD_REQUEST', 'The request could not be understood.');
  }
  return error;
}
