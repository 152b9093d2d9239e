/**
 * The ingest route's path for requests decided reading by reading: `Prefer: handling=lenient`,
 * `Prefer: dry-run`, and event types with `eventTime` rules. The strict path without rules (the
 * hot path) never comes here; this one may spend more per reading.
 *
 * After parsing: decide each reading (reading-decisions.ts) → strict: any refusal is the 422 of
 * today → device binding over every reading that names a sensor, stored or not (403 for the whole
 * request: a key never gets a foreign sensor's reading into either hub) → dry run: answer with the
 * placement a send would get, send nothing → enqueue the stored readings on the event hub and the
 * dead-letter ones on the dead-letter hub → wait for both (one deadline) → answer: 200 with the
 * usual receipt when every reading was stored, 207 with one result per reading otherwise, 422 when
 * every reading was refused (after dead-lettering them, when a dead-letter hub is configured), 503
 * when nothing could be delivered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getPrincipal } from '../auth/authenticate';
import type { Batcher, OutgoingEvent, Ticket } from '../batching/types';
import { GatewayError } from '../errors';
import type { Logger } from '../observability/logger';
import { awaitAcknowledgement, combineTickets, type TicketOutcome } from './await-acknowledgement';
import { deadLetterEvent } from './dead-letter';
import type { EventType } from './event-types';
import { itemResultsJson, type ItemResult } from './item-results';
import type { ParsedEvent } from './parse-body';
import { preferenceApplied, type IngestPreferences } from './preferences';
import {
  decideReadings,
  refusalError,
  type ReadingDecisions,
  type RefusedReading,
} from './reading-decisions';
import { receiptJson } from './receipt';

/** Device binding over `{ partitionKey, index }` items (index: the reading's place in the request). */
export type AuthorizeReadings = (
  req: IncomingMessage,
  eventType: EventType,
  readings: readonly { readonly partitionKey: string; readonly index?: number }[],
) => void;

/** Counters for what only this path does; all optional (`GatewayMetrics` fits). */
export interface PerReadingObserver {
  eventsAccepted(type: string, n: number): void;
  eventsRejected(type: string, reason: string, n: number): void;
  eventsDeadLettered?(type: string, reason: string, n: number): void;
  eventsFlagged?(type: string, reason: 'late' | 'future', n: number): void;
  eventTimeLag?(type: string, seconds: number): void;
}

export interface PerReadingOptions {
  readonly batcher: Pick<Batcher, 'enqueue' | 'placement'>;
  /** The dead-letter hub's batcher; undefined when DEAD_LETTER_EVENTHUB_NAME is not set. */
  readonly deadLetter: Pick<Batcher, 'enqueue' | 'placement'> | undefined;
  readonly authorize: AuthorizeReadings | undefined;
  readonly requestDeadlineMs: number;
  readonly messageIdField: string;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly observer: PerReadingObserver | undefined;
}

export interface PerReadingRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly type: EventType;
  readonly parsed: readonly ParsedEvent[];
  readonly preferences: IngestPreferences;
  readonly requestId: string;
  readonly receivedAt: string;
  /** Answers a whole-request failure (problem+json, counted as the route counts it). */
  readonly fail: (error: unknown) => void;
}

export function createPerReadingIngest(options: PerReadingOptions): (request: PerReadingRequest) => void {
  const { batcher, deadLetter, authorize, requestDeadlineMs, messageIdField, newId, logger } = options;
  const observer = options.observer;

  return function ingestPerReading(request) {
    const { req, res, type, parsed, preferences, requestId, receivedAt } = request;
    const applied = preferenceApplied(preferences, false);
    if (applied !== undefined) res.setHeader('Preference-Applied', applied);
    const decisions = decideReadings(type, parsed, {
      requestId,
      receivedAt,
      messageIdField,
      newId,
      receivedAtMs: Date.parse(receivedAt),
      stopWhenReportFull: !preferences.lenient,
      observeLag:
        observer?.eventTimeLag === undefined
          ? undefined
          : (seconds) => observer.eventTimeLag?.(type.name, seconds),
    });
    const { stored, refused, diverted } = decisions;
    if (refused.length > 0 && !preferences.lenient) throw refusalError(decisions, 'nothing was sent.');
    if (diverted.length > 0 && deadLetter === undefined)
      throw new GatewayError('GW_ERR_INTERNAL', 'A dead-letter rule applies but no dead-letter hub is set.');
    const toDeadLetter = deadLetter === undefined ? diverted : byIndex([...diverted, ...refused]);
    const rejected = deadLetter === undefined ? refused : [];
    if (stored.length === 0 && diverted.length === 0 && deadLetter === undefined)
      throw refusalError(decisions, 'nothing was sent.');

    authorize?.(req, type, boundReadings(decisions));

    const mainEvents = stored.map((s) => s.event);
    const keyId = getPrincipal(req)?.keyId ?? 'unknown';
    const deadEvents = toDeadLetter.map((reading) =>
      deadLetterEvent(reading, { type, requestId, receivedAt, keyId, newId }),
    );
    const answer = (
      mainIds: readonly string[],
      deadIds: readonly string[],
      outcomes: TicketOutcome[],
    ): void => {
      const [mainOutcome = true, deadOutcome = true] = outcomes;
      const items = new Array<ItemResult>(decisions.count);
      stored.forEach(({ index, event }, i) => {
        items[index] =
          mainOutcome === true
            ? { status: 'stored', messageId: event.messageId, partitionId: mainIds[i] ?? '' }
            : failedItem(mainOutcome);
      });
      toDeadLetter.forEach((reading, i) => {
        items[reading.index] =
          deadOutcome === true
            ? {
                status: 'dead-lettered',
                code: reading.code,
                pointer: reading.problem.pointer,
                message: reading.problem.message,
                messageId: deadEvents[i]!.messageId,
                partitionId: deadIds[i] ?? '',
              }
            : failedItem(deadOutcome);
      });
      for (const reading of rejected) {
        const { pointer, message } = reading.problem;
        items[reading.index] = { status: 'rejected', code: reading.code, pointer, message };
      }
      respond(request, decisions, items, mainEvents, mainIds, outcomes, observer);
    };

    if (preferences.dryRun) {
      answer(
        mainEvents.length === 0 ? [] : batcher.placement(mainEvents.map((e) => e.partitionKey)),
        deadEvents.length === 0 ? [] : deadLetter!.placement(deadEvents.map((e) => e.partitionKey)),
        [],
      );
      return;
    }

    const tickets = enqueueBoth(batcher, mainEvents, deadLetter, deadEvents);
    const mainIds = tickets.main?.partitionIds ?? [];
    const deadIds = tickets.dead?.partitionIds ?? [];
    if (preferences.respondAsync) {
      for (const ticket of [tickets.main, tickets.dead]) {
        ticket?.acknowledged.catch((error: unknown) => {
          const code = error instanceof GatewayError ? error.code : 'GW_ERR_INTERNAL';
          logger.warn(
            { requestId, code, count: decisions.count },
            'events accepted with respond-async were not delivered',
          );
        });
      }
      res.setHeader('Preference-Applied', preferenceApplied(preferences, true)!);
      answer(mainIds, deadIds, []);
      return;
    }
    const combined = combineTickets([tickets.main, tickets.dead]);
    awaitAcknowledgement(res, combined.ticket, requestDeadlineMs, {
      acknowledged: () => answer(mainIds, deadIds, combined.outcomes),
      failed: (error) => {
        combined.failPending(error);
        answer(mainIds, deadIds, combined.outcomes);
      },
    });
  };
}

/** Enqueues on both hubs, or on neither: a refusal of the second withdraws the first. */
function enqueueBoth(
  batcher: Pick<Batcher, 'enqueue'>,
  mainEvents: readonly OutgoingEvent[],
  deadLetter: Pick<Batcher, 'enqueue'> | undefined,
  deadEvents: readonly OutgoingEvent[],
): { main: Ticket | undefined; dead: Ticket | undefined } {
  const main = mainEvents.length === 0 ? undefined : batcher.enqueue(mainEvents);
  if (deadEvents.length === 0 || deadLetter === undefined) return { main, dead: undefined };
  try {
    return { main, dead: deadLetter.enqueue(deadEvents) };
  } catch (error) {
    main?.withdraw(
      error instanceof GatewayError
        ? error
        : new GatewayError('GW_ERR_INTERNAL', 'Dead-letter enqueue failed.'),
    );
    throw error;
  }
}

function respond(
  request: PerReadingRequest,
  decisions: ReadingDecisions,
  items: readonly ItemResult[],
  mainEvents: readonly OutgoingEvent[],
  mainIds: readonly string[],
  outcomes: readonly TicketOutcome[],
  observer: PerReadingObserver | undefined,
): void {
  const { res, type, requestId, preferences, fail } = request;
  const dryRun = preferences.dryRun;
  let stored = 0;
  let deadLettered = 0;
  let failed = 0;
  for (const item of items) {
    if (item.status === 'stored') stored++;
    else if (item.status === 'dead-lettered') deadLettered++;
    else if (item.status === 'failed') failed++;
  }
  if (stored === 0 && deadLettered === 0 && failed > 0) {
    const failure = outcomes.find((o): o is { error: unknown } => o !== undefined && o !== true);
    fail(failure?.error ?? new GatewayError('GW_ERR_SEND_FAILED', 'The events were not delivered.'));
    return;
  }
  const status = preferences.respondAsync && !dryRun ? 202 : 200;
  // Every reading refused: the 422 of the strict path (the route counts it as refused).
  const allRefused = stored === 0 && failed === 0 && decisions.diverted.length === 0;
  if (!dryRun) count(observer, type.name, decisions, items, allRefused);
  if (stored === decisions.count) {
    const json = dryRun
      ? JSON.stringify({
          count: stored,
          requestId,
          dryRun: true,
          events: mainEvents.map((e, i) => ({ messageId: e.messageId, partitionId: mainIds[i] ?? '' })),
        })
      : receiptJson(requestId, mainEvents, mainIds);
    sendJson(res, status, json);
    return;
  }
  if (allRefused) {
    const error = refusalError(
      decisions,
      deadLettered > 0
        ? `none was stored; ${deadLettered} went to the dead-letter hub.`
        : 'nothing was sent.',
    );
    fail(
      new GatewayError(error.code, error.message, {
        extensions: { ...error.extensions, deadLettered, ...(dryRun ? { dryRun: true } : {}) },
      }),
    );
    return;
  }
  sendJson(
    res,
    status === 202 ? 202 : 207,
    itemResultsJson(
      requestId,
      items,
      { errors: decisions.problems, errorCount: decisions.problemCount },
      dryRun,
    ),
  );
}

/**
 * Metrics for an answered request: stored readings are accepted; refused ones are rejected by
 * reason (unless the route already counted the whole request as refused); dead-lettered ones are
 * counted by reason too (a refused reading that was dead-lettered counts in both).
 */
function count(
  observer: PerReadingObserver | undefined,
  typeName: string,
  decisions: ReadingDecisions,
  items: readonly ItemResult[],
  refusalsCounted: boolean,
): void {
  if (observer === undefined) return;
  const diverted = new Set(decisions.diverted.map((r) => r.index));
  const rejected = new Map<string, number>();
  const deadLettered = new Map<string, number>();
  const add = (map: Map<string, number>, code: string): void => {
    map.set(code, (map.get(code) ?? 0) + 1);
  };
  let stored = 0;
  items.forEach((item, index) => {
    if (item.status === 'stored') stored++;
    else if (item.status === 'dead-lettered') {
      add(deadLettered, item.code);
      if (!diverted.has(index)) add(rejected, item.code);
    } else add(rejected, item.code);
  });
  if (stored > 0) observer.eventsAccepted(typeName, stored);
  for (const [code, n] of deadLettered) observer.eventsDeadLettered?.(typeName, code, n);
  if (!refusalsCounted) for (const [code, n] of rejected) observer.eventsRejected(typeName, code, n);
  if (stored > 0 && decisions.flaggedLate > 0)
    observer.eventsFlagged?.(typeName, 'late', decisions.flaggedLate);
  if (stored > 0 && decisions.flaggedFuture > 0)
    observer.eventsFlagged?.(typeName, 'future', decisions.flaggedFuture);
}

function failedItem(outcome: TicketOutcome): ItemResult {
  const error = outcome !== undefined && outcome !== true ? outcome.error : undefined;
  const known = error instanceof GatewayError ? error : undefined;
  return { status: 'failed', code: known?.code ?? 'GW_ERR_SEND_FAILED', retryable: known?.retryable ?? true };
}

/** Every reading that names a sensor, in request order, for device binding. */
function boundReadings(decisions: ReadingDecisions): { partitionKey: string; index: number }[] {
  const all: { partitionKey: string; index: number }[] = [];
  for (const { index, event } of decisions.stored) all.push({ partitionKey: event.partitionKey, index });
  for (const reading of [...decisions.refused, ...decisions.diverted])
    if (reading.partitionKey !== undefined)
      all.push({ partitionKey: reading.partitionKey, index: reading.index });
  return all.sort((a, b) => a.index - b.index);
}

function byIndex(readings: RefusedReading[]): RefusedReading[] {
  return readings.sort((a, b) => a.index - b.index);
}

function sendJson(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}
