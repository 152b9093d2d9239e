/**
 * Client sender links to `<hub>`, `<hub>/Partitions/<id>` and `<hub>/publishers/<name>`: attach
 * (authorise with Send, advertise max-message-size), then per transfer: injected faults, the size
 * bound, a still-valid claim, unpacking the batched envelope, and one `store.ingest` — the same
 * path the REST side uses. The disposition is `accepted`, or `rejected` with the service's
 * condition, optionally held back by the disposition-delay fault.
 */
// Named imports: rhea exports a Container instance whose members live on its prototype.
import { message as amqpMessage } from 'rhea';
import type { Delivery, EventContext, Receiver } from 'rhea';
import { findHub } from '../config';
import type { EntityPath } from '../entity-path';
import { EmulatorError } from '../errors';
import { INVALID_PARTITION } from '../store/routing';
import { unpackPublication } from './codec';
import {
  completeAttach,
  mirrorTermini,
  refuseLink,
  remoteAddress,
  type ConnectionState,
  type ServerContext,
} from './context';

type ProducerEntity = Extract<EntityPath, { kind: 'hub' | 'partition' | 'publisher' }>;

interface AmqpFailure {
  readonly condition: string;
  readonly description: string;
}

function settle(
  server: ServerContext,
  delivery: Delivery,
  failure: AmqpFailure | undefined,
  extraDelayMs = 0,
): void {
  const apply = (): void => {
    if (!delivery.link.is_open()) return;
    if (failure) delivery.reject(failure);
    else delivery.accept();
  };
  const delay = server.faults.dispositionDelayMs + extraDelayMs;
  if (delay > 0) server.later(delay, apply);
  else apply();
}

export function openProducerLink(
  server: ServerContext,
  state: ConnectionState,
  link: Receiver,
  entity: ProducerEntity,
): void {
  const address = remoteAddress(link, 'target') ?? '';
  const hub = findHub(server.config, entity.hub);
  if (!hub) {
    refuseLink(
      link,
      'amqp:not-found',
      `The messaging entity '${server.namespaceUri()}/${address}' could not be found.`,
    );
    return;
  }
  if (entity.kind === 'partition' && !hub.partitionIds.includes(entity.partitionId)) {
    refuseLink(link, 'com.microsoft:argument-out-of-range', INVALID_PARTITION);
    return;
  }
  const claim = state.claims.check(address, ['Send'], server.now());
  if (claim !== 'ok') {
    refuseLink(
      link,
      'amqp:unauthorized-access',
      `Unauthorized access to '${address}': ${claim} claim. Put a token with Send rights first.`,
    );
    return;
  }
  mirrorTermini(link);
  completeAttach(link, server.config.maxMessageSize);

  state.register(link, {
    entity: true,
    onMessage(context: EventContext) {
      const delivery = context.delivery;
      if (!delivery) return;
      // rhea decodes format-0 transfers itself; re-encode those (generic AMQP clients), keep raw bytes otherwise.
      const payload: unknown =
        delivery.format === 0 && context.message ? amqpMessage.encode(context.message) : context.message;
      // Per-partition faults (emulator/faults.ts): a stalled partition swallows the publication.
      const fault =
        entity.kind === 'partition'
          ? server.faults.partitionFault(entity.hub, entity.partitionId)
          : undefined;
      if (fault?.kind === 'stall') return;
      const failure =
        fault?.kind === 'reject'
          ? fault.rejection
          : publish(server, state, address, entity, delivery, payload);
      if (failure) server.faults.count('rejected');
      settle(server, delivery, failure, fault?.kind === 'delay' ? fault.ms : 0);
    },
  });
}

function publish(
  server: ServerContext,
  state: ConnectionState,
  address: string,
  entity: ProducerEntity,
  delivery: Delivery,
  payload: unknown,
): AmqpFailure | undefined {
  const injected = server.faults.takeSendRejection();
  if (injected) return injected;
  if (!Buffer.isBuffer(payload))
    return { condition: 'amqp:decode-error', description: 'The transfer carried no payload.' };
  const limit = server.config.maxMessageSize;
  if (payload.length > limit) {
    return {
      condition: 'amqp:link:message-size-exceeded',
      description: `The received message (delivery-id:${delivery.id}, size:${payload.length} bytes) exceeds the limit (${limit} bytes) currently allowed on the link.`,
    };
  }
  const claim = state.claims.check(address, ['Send'], server.now());
  if (claim !== 'ok') {
    return {
      condition: 'amqp:unauthorized-access',
      description: `Unauthorized access to '${address}': the claim is ${claim}; put a fresh token.`,
    };
  }
  try {
    const unpacked = unpackPublication(payload, delivery.format);
    if (unpacked.messages.length === 0) return undefined;
    const stored = server.store.ingest(
      {
        hub: entity.hub,
        ...(entity.kind === 'partition' ? { partitionId: entity.partitionId } : {}),
        ...(entity.kind === 'publisher' ? { publisher: entity.publisher } : {}),
        ...(entity.kind !== 'partition' && unpacked.partitionKey !== undefined
          ? { partitionKey: unpacked.partitionKey }
          : {}),
      },
      unpacked.messages.map((raw) => ({ raw })),
      { bytes: payload.length },
    );
    server.faults.count('transfers');
    server.faults.count('eventsStored', stored.length);
    return undefined;
  } catch (error) {
    if (error instanceof EmulatorError) return { condition: error.condition, description: error.message };
    return {
      condition: 'amqp:decode-error',
      description: `The transfer could not be decoded: ${(error as Error).message}`,
    };
  }
}
