/**
 * A refused or diverted reading as an event for the dead-letter hub: its bytes exactly as the
 * device sent them, and application properties saying why it is there (reason code, JSON pointer,
 * message), what it claimed to be (event type, schema version) and who sent it when (key id,
 * request id, receive time), so the hub's consumers can triage without the gateway's logs.
 * Keyed by the reading's partition key when it has a usable one (a sensor's dead letters stay in
 * order on one partition), else by the request id (a request's dead letters stay together). Pure.
 */
import type { OutgoingEvent } from '../batching/types';
import type { EventType } from './event-types';
import { EVENT_CONTENT_TYPE, MAX_PARTITION_KEY_LENGTH } from './prepare-events';
import type { RefusedReading } from './reading-decisions';

/** Longest `message` property kept (ajv messages are short; this is a bound, not a format). */
const MAX_MESSAGE_LENGTH = 512;

export interface DeadLetterContext {
  readonly type: EventType;
  readonly requestId: string;
  readonly receivedAt: string;
  /** The API key's id (never the key). */
  readonly keyId: string;
  readonly newId: () => string;
}

export function deadLetterEvent(reading: RefusedReading, context: DeadLetterContext): OutgoingEvent {
  const partitionKey = reading.partitionKey ?? context.requestId.slice(0, MAX_PARTITION_KEY_LENGTH);
  const properties: Record<string, string | number | boolean> = {
    reason: reading.code,
    pointer: reading.problem.pointer,
    message: reading.problem.message.slice(0, MAX_MESSAGE_LENGTH),
    problemCount: reading.problemCount,
    eventType: context.type.name,
    schemaVersion: context.type.settings.schemaVersion,
    keyId: context.keyId,
    requestId: context.requestId,
    receivedAt: context.receivedAt,
    index: reading.index,
  };
  if (reading.partitionKey !== undefined) properties.partitionKey = reading.partitionKey;
  return {
    partitionKey,
    messageId: context.newId(),
    body: reading.raw,
    contentType: EVENT_CONTENT_TYPE,
    properties,
  };
}
