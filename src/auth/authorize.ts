/**
 * Device binding: may this principal write these readings? Pure, called by the ingest route per
 * request before anything is buffered, so a refused request sends nothing. The answer names the
 * first failing event by index, so a fleet client can find the offending reading.
 */

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors';
import { getPrincipal } from './authenticate';
import { matchesAny } from './patterns';
import type { Principal } from './principal';

export type SensorDecision =
  { readonly ok: true } | { readonly ok: false; readonly index: number; readonly reason: string };

const OK: SensorDecision = Object.freeze({ ok: true });

/**
 * Checks scope `events:write`, the event type, and each event's sensor id (its partition key).
 * A scope or type failure concerns every event and is reported at index 0.
 */
export function authorizeSensors(
  principal: Principal,
  eventType: string,
  partitionKeys: readonly string[],
): SensorDecision {
  if (!principal.scopes.has('events:write'))
    return { ok: false, index: 0, reason: 'This API key lacks the scope events:write.' };
  if (!matchesAny(principal.eventTypes, eventType))
    return {
      ok: false,
      index: 0,
      reason: `This API key may not write events of type ${JSON.stringify(eventType)}.`,
    };
  for (let index = 0; index < partitionKeys.length; index++) {
    const sensor = partitionKeys[index] as string;
    if (!matchesAny(principal.sensors, sensor))
      return {
        ok: false,
        index,
        reason: `This API key may not write readings for sensor ${JSON.stringify(sensor)}.`,
      };
  }
  return OK;
}

/** The 403 for a refused decision; the problem body carries `index`. */
export function forbiddenEvent(decision: { readonly index: number; readonly reason: string }): GatewayError {
  return new GatewayError(
    'GW_ERR_FORBIDDEN',
    `Event ${decision.index}: ${decision.reason} Nothing was sent.`,
    {
      extensions: { index: decision.index },
    },
  );
}

/**
 * The ingest route's `authorize` hook: device binding for the request's authenticated principal.
 * Throws the 403 (with `index`) so the route refuses the whole request before anything is enqueued.
 */
export function authorizeIngest(
  req: IncomingMessage,
  eventType: { readonly name: string },
  events: readonly { readonly partitionKey: string }[],
): void {
  const principal = getPrincipal(req);
  if (principal === undefined) throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'An API key is required.');
  const keys = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) keys[i] = (events[i] as { partitionKey: string }).partitionKey;
  const decision = authorizeSensors(principal, eventType.name, keys);
  if (!decision.ok) throw forbiddenEvent(decision);
}
