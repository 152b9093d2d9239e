/**
 * Request ids: a client's own `X-Request-Id` is kept when it is safe to echo and log (short, no
 * spaces or control characters), otherwise one is generated. The id is stored on `req.id` (the
 * pino-http convention) and echoed as a response header, once per request however many layers ask.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The inbound id when it is safe, else undefined. Pure. */
export function safeRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : undefined;
}

/** The request's id: decided on first call, then cached on `req.id`; sets the response header. */
export function requestIdOf(
  req: IncomingMessage,
  res: ServerResponse,
  newId: () => string = randomUUID,
): string {
  const existing: unknown = req.id;
  if (typeof existing === 'string' && existing !== '') return existing;
  const id = safeRequestId(req.headers[REQUEST_ID_HEADER]) ?? newId();
  req.id = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}
