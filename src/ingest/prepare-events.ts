/**
 * Parsed events → events ready for the batcher: schema validation, partition key, message id and
 * application properties, in one pass over the request's events, one event at a time. All-or-nothing:
 * any failure throws a 422 listing each failing event's index, JSON pointer and message, and no
 * event is returned. The pass stops once the report holds MAX_REPORTED_ERRORS problems (a refused
 * request costs at most that much validation; `truncated` says more may follow). Pure: the clock
 * and id generator come in through `context`.
 */
import type { ErrorObject } from 'ajv';
import type { OutgoingEvent } from '../batching/types';
import { GatewayError } from '../errors';
import type { EventType } from './event-types';
import { escapeToken, resolvePointer } from './json-pointer';
import type { ParsedEvent } from './parse-body';

/** Partition keys longer than this are refused (the limit core-amqp defines; see the reference §7). */
export const MAX_PARTITION_KEY_LENGTH = 128;
/** The SDK refuses message ids longer than this. */
export const MAX_MESSAGE_ID_LENGTH = 128;
/** At most this many problems are listed in a 422; validation stops once the list is full. */
export const MAX_REPORTED_ERRORS = 50;

export const EVENT_CONTENT_TYPE = 'application/json';

export interface PrepareContext {
  readonly requestId: string;
  /** ISO 8601 time the request arrived; the same for all its events. */
  readonly receivedAt: string;
  /** Top-level field holding the client's own message id. */
  readonly messageIdField: string;
  readonly newId: () => string;
}

export interface EventProblem {
  readonly index: number;
  readonly pointer: string;
  readonly message: string;
}

/** Why one reading was refused: its schema (or message id), or its partition key. */
export type ReadingFailure = 'GW_ERR_VALIDATION' | 'GW_ERR_PARTITION_KEY';

export function prepareEvents(
  type: EventType,
  parsed: readonly ParsedEvent[],
  context: PrepareContext,
): OutgoingEvent[] {
  const events: OutgoingEvent[] = new Array<OutgoingEvent>(parsed.length);
  const problems: EventProblem[] = [];
  let problemCount = 0;
  let failedEvents = 0;
  let schemaFailures = 0;
  const report = (problem: EventProblem): void => {
    problemCount++;
    if (problems.length < MAX_REPORTED_ERRORS) problems.push(problem);
  };

  let checked = 0;
  for (let index = 0; index < parsed.length && problems.length < MAX_REPORTED_ERRORS; index++) {
    checked++;
    const prepared = prepareEvent(type, parsed[index] as ParsedEvent, index, context, report);
    if (typeof prepared === 'string') {
      failedEvents++;
      if (prepared === 'GW_ERR_VALIDATION') schemaFailures++;
    } else {
      events[index] = prepared;
    }
  }

  if (problemCount > 0) {
    throw new GatewayError(
      schemaFailures === 0 ? 'GW_ERR_PARTITION_KEY' : 'GW_ERR_VALIDATION',
      checked < parsed.length
        ? `${failedEvents} of the first ${checked} of ${parsed.length} event(s) failed (validation stopped at ${MAX_REPORTED_ERRORS} problems); nothing was sent.`
        : `${failedEvents} of ${parsed.length} event(s) failed; nothing was sent.`,
      {
        extensions: {
          errors: problems,
          errorCount: problemCount,
          truncated: problemCount > problems.length || checked < parsed.length,
        },
      },
    );
  }
  return events;
}

/**
 * One reading → its event, or why it was refused (each problem goes to `report` with `index`).
 * The per-reading core of `prepareEvents`, also used where readings are decided one by one
 * (lenient handling, dry runs: see reading-decisions.ts).
 */
export function prepareEvent(
  type: EventType,
  reading: ParsedEvent,
  index: number,
  context: PrepareContext,
  report: (problem: EventProblem) => void,
): OutgoingEvent | ReadingFailure {
  const { value, raw } = reading;
  if (!type.validate(value)) {
    for (const error of type.validate.errors ?? []) {
      report({ index, pointer: pointerOf(error), message: error.message ?? 'is invalid' });
    }
    return 'GW_ERR_VALIDATION';
  }
  const keyPointer = type.settings.partitionKey;
  const partitionKey = resolvePointer(value, type.partitionKeyPath);
  if (typeof partitionKey !== 'string' || partitionKey.length === 0) {
    report({ index, pointer: keyPointer, message: 'partition key must be a non-empty string' });
    return 'GW_ERR_PARTITION_KEY';
  }
  if (partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
    report({
      index,
      pointer: keyPointer,
      message: `partition key must be at most ${MAX_PARTITION_KEY_LENGTH} characters`,
    });
    return 'GW_ERR_PARTITION_KEY';
  }
  const clientId = (value as Record<string, unknown>)[context.messageIdField];
  let messageId: string;
  if (clientId === undefined) {
    messageId = context.newId();
  } else if (
    typeof clientId === 'string' &&
    clientId.length > 0 &&
    clientId.length <= MAX_MESSAGE_ID_LENGTH
  ) {
    messageId = clientId;
  } else {
    report({
      index,
      pointer: `/${escapeToken(context.messageIdField)}`,
      message: `message id must be a string of 1 to ${MAX_MESSAGE_ID_LENGTH} characters`,
    });
    return 'GW_ERR_VALIDATION';
  }
  return {
    partitionKey,
    messageId,
    body: raw,
    contentType: EVENT_CONTENT_TYPE,
    properties: {
      partitionKey,
      eventType: type.name,
      schemaVersion: type.settings.schemaVersion,
      receivedAt: context.receivedAt,
      requestId: context.requestId,
    },
  };
}

/** Where the problem is: ajv's instance path, plus the property name when the error is about one. */
function pointerOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  return property === undefined ? error.instancePath : `${error.instancePath}/${escapeToken(property)}`;
}
