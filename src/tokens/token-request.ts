/**
 * The body of `POST /v1/tokens`, validated strictly (unknown fields are refused so a typo such as
 * `"acess"` cannot silently fall back to a default grant):
 *   `{"publisher": "sensor-123", "ttlSeconds"?: n}`                     — the default, send only
 *   `{"scope": "hub", "access": "send" | "listen", "ttlSeconds"?: n}`   — the whole hub
 */

import { GatewayError } from '../errors';
import type { HubAccess } from '../auth/principal';
import { publisherNameProblem } from './publisher-name';

export type TokenRequest =
  | { readonly scope: 'publisher'; readonly publisher: string; readonly ttlSeconds: number | undefined }
  | { readonly scope: 'hub'; readonly access: HubAccess; readonly ttlSeconds: number | undefined };

const FIELDS = new Set(['scope', 'publisher', 'access', 'ttlSeconds']);

const bad = (detail: string): GatewayError => new GatewayError('GW_ERR_BAD_REQUEST', detail);

export function parseTokenRequest(body: unknown): TokenRequest | GatewayError {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('The body must be a JSON object such as {"publisher":"sensor-123"}.');
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((field) => !FIELDS.has(field));
  if (unknown.length > 0) return bad(`Unknown field(s): ${unknown.join(', ')}.`);
  const { ttlSeconds } = record;
  if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || (ttlSeconds as number) < 1))
    return bad('ttlSeconds must be a positive integer.');
  const ttl = ttlSeconds as number | undefined;
  const scope = record.scope ?? 'publisher';
  if (scope === 'publisher') {
    if (record.access !== undefined && record.access !== 'send')
      return bad('Publisher tokens are send-only; omit "access" or use "send".');
    const problem = publisherNameProblem(record.publisher);
    if (problem !== undefined)
      return bad(
        record.publisher === undefined ? 'publisher is required (or use "scope":"hub").' : `${problem}.`,
      );
    return { scope: 'publisher', publisher: record.publisher as string, ttlSeconds: ttl };
  }
  if (scope === 'hub') {
    if (record.publisher !== undefined) return bad('"publisher" cannot be combined with "scope":"hub".');
    if (record.access !== 'send' && record.access !== 'listen')
      return bad('Hub tokens need "access": "send" or "listen".');
    return { scope: 'hub', access: record.access, ttlSeconds: ttl };
  }
  return bad('scope must be "publisher" or "hub".');
}
