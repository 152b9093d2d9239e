/**
 * Client receiver links `<hub>/ConsumerGroups/<group>/Partitions/<id>`: validate the group and
 * partition, authorise with Listen, apply the epoch rules (a higher or equal epoch steals the
 * partition with `amqp:link:stolen`; a lower one, or a non-epoch receiver while an epoch receiver
 * holds it, is refused; at most 5 non-epoch receivers), parse the start position, then stream
 * stored events strictly within the client's credit — from the log first, then live as they are
 * appended — each stamped with the system annotations (and runtime metrics when asked).
 */
import type { Sender } from 'rhea';
import { findConsumerGroup, findHub } from '../config';
import type { EntityPath } from '../entity-path';
import { INVALID_PARTITION } from '../store/routing';
import { withSystemAnnotations } from './codec';
import {
  attachEnds,
  completeAttach,
  mirrorTermini,
  refuseLink,
  remoteAddress,
  type ConnectionState,
  type ConsumerRegistration,
  type ServerContext,
} from './context';
import { firstSequenceFor, parseStartPosition, type StartPosition } from './start-position';

type ConsumerEntity = Extract<EntityPath, { kind: 'consumer' }>;

const SELECTOR_FILTER = 'apache.org:selector-filter:string';
const EPOCH_PROPERTY = 'com.microsoft:epoch';
const RUNTIME_METRIC = 'com.microsoft:enable-receiver-runtime-metric';
const MAX_NON_EPOCH_RECEIVERS = 5;

function selectorOf(link: Sender): string | undefined {
  const source = (attachEnds(link).remote.attach as { source?: { filter?: unknown } } | undefined)?.source;
  const filter = source?.filter;
  if (!filter || typeof filter !== 'object') return undefined;
  const entry: unknown = (filter as Record<string, unknown>)[SELECTOR_FILTER];
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && 'value' in entry) {
    const value: unknown = entry.value;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  if (value && typeof value === 'object' && 'value' in value) return toNumber(value.value);
  return undefined;
}

function epochOf(link: Sender): number | undefined {
  const properties = (attachEnds(link).remote.attach as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return properties ? toNumber(properties[EPOCH_PROPERTY]) : undefined;
}

function wantsRuntimeMetric(link: Sender): boolean {
  const desired: unknown = (attachEnds(link).remote.attach as { desired_capabilities?: unknown } | undefined)
    ?.desired_capabilities;
  const list: unknown[] = Array.isArray(desired) ? desired : desired === undefined ? [] : [desired];
  return list.some((c) => c === RUNTIME_METRIC);
}

export function openConsumerLink(
  server: ServerContext,
  state: ConnectionState,
  link: Sender,
  entity: ConsumerEntity,
): void {
  const address = remoteAddress(link, 'source') ?? '';
  const hub = findHub(server.config, entity.hub);
  const group = hub ? findConsumerGroup(hub, entity.consumerGroup) : undefined;
  if (!hub || !group) {
    refuseLink(
      link,
      'amqp:not-found',
      `The messaging entity '${server.namespaceUri()}/${address}' could not be found.`,
    );
    return;
  }
  const log = server.store.log(hub.name, entity.partitionId);
  if (!log) {
    refuseLink(link, 'com.microsoft:argument-out-of-range', INVALID_PARTITION);
    return;
  }
  const claim = state.claims.check(address, ['Listen'], server.now());
  if (claim !== 'ok') {
    refuseLink(
      link,
      'amqp:unauthorized-access',
      `Unauthorized access to '${address}': ${claim} claim. Put a token with Listen rights first.`,
    );
    return;
  }
  const selector = selectorOf(link);
  let position: StartPosition = { kind: 'latest' };
  if (selector !== undefined) {
    const parsed = parseStartPosition(selector);
    if (!parsed) {
      refuseLink(link, 'amqp:internal-error', `The filter expression '${selector}' is not supported.`);
      return;
    }
    position = parsed;
  }

  // Ownership: one key per hub/group/partition, compared case-insensitively like the names.
  const ownerKey = `${hub.name}/${group}/${entity.partitionId}`.toLowerCase();
  const owners = server.consumers.get(ownerKey) ?? new Set<ConsumerRegistration>();
  server.consumers.set(ownerKey, owners);
  const epoch = epochOf(link);
  const current = [...owners];
  const epochHolders = current.filter((o) => o.epoch !== undefined);
  if (epoch === undefined) {
    if (epochHolders.length > 0) {
      refuseLink(
        link,
        'amqp:link:stolen',
        `A receiver with epoch '${String(epochHolders[0]?.epoch)}' already exists; a non-epoch receiver cannot be created.`,
      );
      return;
    }
    if (current.length >= MAX_NON_EPOCH_RECEIVERS) {
      refuseLink(
        link,
        'amqp:resource-limit-exceeded',
        `Exceeded the maximum number of allowed receivers per partition in a consumer group which is ${MAX_NON_EPOCH_RECEIVERS}.`,
      );
      return;
    }
  } else {
    const higher = epochHolders.find((o) => (o.epoch as number) > epoch);
    if (higher) {
      refuseLink(
        link,
        'amqp:link:stolen',
        `A receiver with a higher epoch '${String(higher.epoch)}' already exists; epoch '${epoch}' cannot be used.`,
      );
      return;
    }
    for (const owner of current) {
      owner.steal(
        `New receiver with higher epoch of '${epoch}' is created hence current receiver with epoch '${String(owner.epoch ?? 0)}' is getting disconnected.`,
      );
    }
  }

  mirrorTermini(link);
  const local = attachEnds(link).local.attach;
  completeAttach(link, server.config.maxMessageSize);
  const metrics = wantsRuntimeMetric(link);
  if (metrics) local.offered_capabilities = RUNTIME_METRIC;

  let next = firstSequenceFor(position, log);
  let closed = false;
  const pump = (): void => {
    if (closed || !link.is_open()) return;
    while (link.sendable()) {
      if (state.claims.check(address, ['Listen'], server.now()) !== 'ok') return; // lapsed: wait for a fresh token
      const event = log.eventAt(log.indexAtOrAfterSequence(next));
      if (!event || event.sequenceNumber < next) return;
      const last = log.last() ?? event;
      const bytes = withSystemAnnotations(
        event.raw,
        {
          sequenceNumber: event.sequenceNumber,
          offset: event.offset,
          enqueuedTimeMs: event.enqueuedTime.getTime(),
          ...(event.partitionKey === undefined ? {} : { partitionKey: event.partitionKey }),
          ...(event.publisher === undefined ? {} : { publisher: event.publisher }),
        },
        metrics
          ? {
              lastSequenceNumber: last.sequenceNumber,
              lastOffset: last.offset,
              lastEnqueuedTimeMs: last.enqueuedTime.getTime(),
              retrievedAtMs: server.now(),
            }
          : undefined,
      );
      link.send(bytes, undefined, 0);
      next = event.sequenceNumber + 1;
    }
  };

  const registration: ConsumerRegistration = {
    epoch,
    steal: (description) => {
      if (closed) return;
      link.close({ condition: 'amqp:link:stolen', description });
      state.release(link);
    },
  };
  owners.add(registration);
  const unsubscribe = log.onAppend(pump);
  state.register(link, {
    entity: true,
    onSendable: pump,
    dispose() {
      closed = true;
      unsubscribe();
      owners.delete(registration);
      if (owners.size === 0) server.consumers.delete(ownerKey);
    },
  });
}
