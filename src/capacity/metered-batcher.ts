/**
 * Feeds the ingress meter from what the gateway already sees, without touching the ingest path:
 * a Batcher decorator records each request's events and bytes (their footprint: body, message id,
 * content type, properties) by event type once the hub acknowledged them, and a BatcherObserver
 * records batches (with their fill of the link's max message size) and ServerBusy answers.
 */
import { eventFootprint } from '../batching/event-footprint';
import type { Batcher, BatcherObserver, OutgoingEvent } from '../batching/types';
import type { IngressMeter } from './ingress-meter';

const ignore = (): void => undefined;

/** The SDK's code for a throttled request (translated by the sink). */
const SERVER_BUSY = 'ServerBusyError';

/** What the ingest path uses of a batcher; the decorator adds metering to `enqueue`. */
export type IngestBatcher = Pick<Batcher, 'enqueue' | 'placement'>;

export function meteredBatcher(batcher: IngestBatcher, meter: IngressMeter, hub: string): IngestBatcher {
  const record = (events: readonly OutgoingEvent[]): void => {
    let bytes = 0;
    for (const event of events) bytes += eventFootprint(event);
    const type = events[0]?.properties.eventType;
    meter.accepted(hub, typeof type === 'string' ? type : 'unknown', events.length, bytes);
  };
  return {
    enqueue(events) {
      const ticket = batcher.enqueue(events);
      ticket.acknowledged.then(() => record(events), ignore);
      return ticket;
    },
    placement: (keys) => batcher.placement(keys),
  };
}

/** Batches and throttling of `hub`; `maxMessageSize` is read when a batch is reported. */
export function meteringObserver(
  meter: IngressMeter,
  hub: string,
  maxMessageSize: () => number | undefined,
): BatcherObserver {
  return {
    batchSent: (_partitionId, events, bytes) => meter.batchSent(hub, events, bytes, maxMessageSize()),
    sendRetried: (_partitionId, code) => {
      if (code === SERVER_BUSY) meter.throttled(hub);
    },
    sendFailed: (_partitionId, code) => {
      if (code === SERVER_BUSY) meter.throttled(hub);
    },
  };
}

/**
 * Every observer hears every call (whatever hooks the batcher's observer has). A hook only one of
 * them has is that hook itself, and a shared one passes its (at most four) arguments on as they
 * are: `buffered` runs on every enqueue and acknowledgement, so no array per call.
 */
export function bothObservers(first: BatcherObserver, second: BatcherObserver): BatcherObserver {
  type Hook = (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => void;
  const a = first as Record<string, Hook | undefined>;
  const b = second as Record<string, Hook | undefined>;
  const both: Record<string, Hook> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name];
    const y = b[name];
    if (x === undefined || y === undefined) {
      const only = x ?? y;
      if (only !== undefined) both[name] = (p, q, r, s) => only(p, q, r, s);
      continue;
    }
    both[name] = (p, q, r, s) => {
      x(p, q, r, s);
      y(p, q, r, s);
    };
  }
  return both;
}
