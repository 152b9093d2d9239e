/**
 * Request ids: a client's own `X-Request-Id` is kept when it is safe to echo, log and stamp on
 * every event, otherwise one is generated. Safe means a short token (at most 64 characters of
 * letters, digits and `.`, `_`, `:`, `-`) that cannot be a secret a client pasted into the wrong
 * header: not an API key (`ehgw_` prefix, or any run of 20+ letters and digits mixing upper and
 * lower case, as base64 keys, JWTs and account keys do), and SAS tokens and connection strings
 * already fail the character set; nor the credential the request itself presents. UUIDs, hex trace ids, ULIDs and `client-42:7` pass. A replaced
 * id is never echoed or stored. The id is stored on `req.id` (the pino-http convention) and echoed
 * as a response header, once per request however many layers ask.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** The gateway's own API keys (src/auth/generate-key.ts). */
const API_KEY_PREFIX = /^ehgw_/i;
/** A long run of letters and digits in both cases: what random secrets encoded as base64 look like. */
const SECRET_LIKE_RUN = /[A-Za-z0-9]{20,}/g;

/** The inbound id when it is safe, else undefined. Pure. */
export function safeRequestId(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string' || !SAFE_REQUEST_ID.test(value) || API_KEY_PREFIX.test(value))
    return undefined;
  for (const run of value.match(SECRET_LIKE_RUN) ?? [])
    if (/[a-z]/.test(run) && /[A-Z]/.test(run)) return undefined;
  return value;
}

/** The request's id: decided on first call, then cached on `req.id`; sets the response header. */
export function requestIdOf(
  req: IncomingMessage,
  res: ServerResponse,
  newId: () => string = randomUUID,
): string {
  const existing: unknown = req.id;
  if (typeof existing === 'string' && existing !== '') return existing;
  const inbound = safeRequestId(req.headers[REQUEST_ID_HEADER]);
  const id = inbound === undefined || presentsAsCredential(req, inbound) ? newId() : inbound;
  req.id = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}

/** True when `id` is the API key this request authenticates with (whatever its shape). */
function presentsAsCredential(req: IncomingMessage, id: string): boolean {
  const { authorization, 'x-api-key': apiKey } = req.headers;
  return apiKey === id || (typeof authorization === 'string' && authorization.trim().endsWith(` ${id}`));
}
