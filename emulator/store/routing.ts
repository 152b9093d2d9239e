/**
 * Picks the partition of a publication, as the service does: an explicit partition wins; a
 * publisher endpoint routes by the publisher name as the key; a partition key routes by the Event
 * Hubs hash (key-hash.ts, the emulator's own implementation, not the gateway's); otherwise round-robin.
 * Pure except for the round-robin cursor the caller owns.
 */
import { partitionIndexOfKey } from './key-hash';
import { EmulatorError } from '../errors';
import type { ResolvedHub } from '../config';

export interface RouteRequest {
  readonly partitionId?: string;
  readonly partitionKey?: string;
  readonly publisher?: string;
}

export interface Route {
  readonly partitionId: string;
  /** The key stamped on every stored event (the publisher name for publisher sends). */
  readonly partitionKey?: string;
  readonly publisher?: string;
}

export const INVALID_PARTITION =
  'The specified partition is invalid for an EventHub partition sender or receiver.';

export function route(hub: ResolvedHub, request: RouteRequest, nextRoundRobin: () => number): Route {
  if (request.partitionId !== undefined) {
    if (!hub.partitionIds.includes(request.partitionId)) {
      throw new EmulatorError('com.microsoft:argument-out-of-range', INVALID_PARTITION, 400);
    }
    if (request.partitionKey !== undefined || request.publisher !== undefined) {
      throw new EmulatorError(
        'com.microsoft:argument-error',
        'A partition key or publisher cannot be combined with an explicit partition.',
        400,
      );
    }
    return { partitionId: request.partitionId };
  }
  if (request.publisher !== undefined) {
    if (request.partitionKey !== undefined && request.partitionKey !== request.publisher) {
      throw new EmulatorError(
        'com.microsoft:argument-error',
        `The partition key '${request.partitionKey}' must equal the publisher name '${request.publisher}'.`,
        400,
      );
    }
    const index = partitionIndexOfKey(request.publisher, hub.partitionCount);
    return { partitionId: String(index), partitionKey: request.publisher, publisher: request.publisher };
  }
  if (request.partitionKey !== undefined) {
    return {
      partitionId: String(partitionIndexOfKey(request.partitionKey, hub.partitionCount)),
      partitionKey: request.partitionKey,
    };
  }
  return { partitionId: String(nextRoundRobin() % hub.partitionCount) };
}
