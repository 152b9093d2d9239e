/**
 * `POST /v1/events/{type}` as a plain `(req, res)` handler: it reads its own body (no Express body
 * parser), so it can be mounted in Express today and on a bare `node:http` server later. Everything
 * a request needs that does not depend on the request (validators, pointers, headers) is prepared
 * when the handler is created. Order, cheapest refusal first: type (404) → content type and
 * encoding (415) → body with limits (413) → parse (400) → validate, key, id (422) → authorize
 * hook (403) → enqueue (503 when full) → wait for the hub's acknowledgement → 200 receipt.
 * No log line per event or per success; failures are logged once per request by the access log.
 *
 * Requests that ask for lenient handling or a dry run (`Prefer`), and types with `eventTime` rules,
 * leave after parsing for per-reading-ingest.ts; the strict path pays one check for that.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Batcher, Ticket } from '../batching/types';
import { GatewayError } from '../errors';
import { sendProblem } from '../http/problem';
import type { Logger } from '../observability/logger';
import { requestIdOf } from '../observability/request-id';
import type { BodyBudget } from './body-budget';
import { bodyEncodingOf, bodyFormatOf } from './content-type';
import type { EventTypeRegistry } from './event-types';
import { awaitAcknowledgement } from './await-acknowledgement';
import { DEFAULT_MAX_EVENTS, parseBody, type ParsedEvent } from './parse-body';
import {
  createPerReadingIngest,
  type AuthorizeReadings,
  type PerReadingObserver,
} from './per-reading-ingest';
import { DEFAULT_PREFERENCES, parsePreferences } from './preferences';
import { prepareEvents } from './prepare-events';
import { readBody } from './read-body';
import { receiptJson } from './receipt';

export const EVENTS_PATH_PREFIX = '/v1/events/';

export interface IngestRouteOptions {
  readonly eventTypes: EventTypeRegistry;
  readonly batcher: Pick<Batcher, 'enqueue' | 'placement'>;
  /** The dead-letter hub's batcher (DEAD_LETTER_EVENTHUB_NAME); absent: refused readings are only reported. */
  readonly deadLetter?: Pick<Batcher, 'enqueue' | 'placement'> | undefined;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Gzip bodies may not inflate past this many times their compressed size (MAX_INFLATION_RATIO). */
  readonly maxInflationRatio?: number;
  /** Readings one request may carry, counted before any is parsed (MAX_EVENTS_PER_REQUEST). */
  readonly maxEventsPerRequest?: number;
  /** Memory held by bodies being read, shared with the batcher's cap (MAX_BUFFERED_BYTES). */
  readonly bodyBudget?: BodyBudget;
  /** Charges the key's events budget for a refused body's readings (the request itself paid one). */
  readonly chargeEvents?: (req: IncomingMessage, readings: number) => void;
  /** Admits a request's readings to the key's events budget, or refuses them (throws or rejects). */
  readonly admitEvents?: (
    req: IncomingMessage,
    res: ServerResponse,
    readings: number,
  ) => Promise<void> | undefined;
  /** How long a request waits for the acknowledgement once its events are enqueued. */
  readonly requestDeadlineMs: number;
  readonly messageIdField: string;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly observer?: IngestObserver;
  /**
   * Called with the validated events before anything is enqueued; throw a `GatewayError` (e.g.
   * GW_ERR_FORBIDDEN with the failing event's index) to refuse the whole request. For the
   * security layer's device binding. An item's `index`, when set, is its place in the request
   * (per-reading handling binds readings that are not stored too).
   */
  readonly authorize?: AuthorizeReadings;
}

/** Counts for metrics; `GatewayMetrics` from observability/metrics.ts fits structurally. */
export interface IngestObserver extends PerReadingObserver {
  eventsAccepted(type: string, n: number): void;
  /** `reason` is the error code; `n` is the request's event count, or 1 when the body was never parsed. */
  eventsRejected(type: string, reason: string, n: number): void;
}

export type IngestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The body of a 200/202: what the client keeps as proof of what was accepted. */
export interface Receipt {
  readonly count: number;
  readonly requestId: string;
  readonly events: readonly { readonly messageId: string; readonly partitionId: string }[];
}

/** MAX_INFLATION_RATIO's default (src/config/schema.ts). */
export const DEFAULT_MAX_INFLATION_RATIO = 200;

export function createIngestHandler(options: IngestRouteOptions): IngestHandler {
  const { eventTypes, batcher, logger, maxBodyBytes, requestDeadlineMs, messageIdField, authorize } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const observer = options.observer;
  const perReading = createPerReadingIngest({
    batcher,
    deadLetter: options.deadLetter,
    authorize,
    requestDeadlineMs,
    messageIdField,
    newId,
    logger,
    observer,
  });
  const bodyLimits = {
    maxBodyBytes,
    maxInflationRatio: options.maxInflationRatio ?? DEFAULT_MAX_INFLATION_RATIO,
  };
  const maxEvents = options.maxEventsPerRequest ?? DEFAULT_MAX_EVENTS;
  const { bodyBudget, chargeEvents, admitEvents } = options;

  return function ingest(req, res) {
    const requestId = requestIdOf(req, res);
    let typeName = 'unknown';
    let count = 1;
    let dryRun = false;
    const fail = (error: unknown): void => {
      if (error instanceof GatewayError && (error.status === 413 || error.code === 'GW_ERR_BAD_REQUEST')) {
        // The rest of the body may still be on its way: do not keep this connection.
        res.setHeader('Connection', 'close');
      }
      // A dry run refuses nothing that was sent: it is not counted.
      if (!dryRun)
        observer?.eventsRejected(
          typeName,
          error instanceof GatewayError ? error.code : 'GW_ERR_INTERNAL',
          count,
        );
      sendProblem(res, error, requestId);
    };
    const succeed = (status: 200 | 202, receipt: string): void => {
      observer?.eventsAccepted(typeName, count);
      sendJson(res, status, receipt);
    };
    try {
      const type = eventTypes.get(eventTypeFromUrl(req.url ?? ''));
      if (type === undefined) throw unknownType(req.url ?? '', eventTypes);
      typeName = type.name;
      const format = bodyFormatOf(req.headers['content-type']);
      const encoding = bodyEncodingOf(req.headers['content-encoding']);
      const receivedAt = now().toISOString();
      readBody(req, encoding, bodyLimits, bodyBudget, format)
        .then((body) => {
          let parsed: ParsedEvent[];
          try {
            parsed = parseBody(body, format, maxEvents);
          } catch (error) {
            // A body refused for its count scanned `maxEvents` readings: they cost the budget.
            if (error instanceof GatewayError && error.code === 'GW_ERR_TOO_MANY_EVENTS')
              chargeEvents?.(req, maxEvents + 1);
            throw error;
          }
          count = parsed.length;
          const admitted = count > 1 ? admitEvents?.(req, res, count) : undefined;
          if (admitted !== undefined) return admitted.then(() => route(parsed));
          route(parsed);
          return undefined;
        })
        .catch(fail);
      // After the budget admitted the readings: per-reading handling, or strict enqueue and wait.
      const route = (parsed: ParsedEvent[]): void => {
        const prefer = req.headers.prefer;
        const preferences = prefer === undefined ? DEFAULT_PREFERENCES : parsePreferences(prefer);
        if (preferences.lenient || preferences.dryRun || type.eventTime !== undefined) {
          dryRun = preferences.dryRun;
          perReading({ req, res, type, parsed, preferences, requestId, receivedAt, fail });
          return;
        }
        const events = prepareEvents(type, parsed, { requestId, receivedAt, messageIdField, newId });
        authorize?.(req, type, events);
        const ticket = batcher.enqueue(events);
        if (preferences.respondAsync) {
          watchAsyncOutcome(ticket, requestId, count, logger);
          res.setHeader('Preference-Applied', 'respond-async');
          succeed(202, receiptJson(requestId, events, ticket.partitionIds));
        } else {
          awaitAcknowledgement(res, ticket, requestDeadlineMs, {
            acknowledged: () => succeed(200, receiptJson(requestId, events, ticket.partitionIds)),
            failed: fail,
          });
        }
      };
    } catch (error) {
      fail(error);
    }
  };
}

/** `/v1/events/telemetry?x=1` → `telemetry`. Anything not a plain type name maps to no type. */
export function eventTypeFromUrl(url: string): string {
  if (!url.startsWith(EVENTS_PATH_PREFIX)) return '';
  const end = url.indexOf('?');
  return url.slice(EVENTS_PATH_PREFIX.length, end === -1 ? undefined : end);
}

function unknownType(url: string, eventTypes: EventTypeRegistry): GatewayError {
  const name = eventTypeFromUrl(url);
  return new GatewayError(
    'GW_ERR_UNKNOWN_TYPE',
    `No event type ${JSON.stringify(name.slice(0, 64))}; known types: ${[...eventTypes.keys()].join(', ')}.`,
    { extensions: { knownTypes: [...eventTypes.keys()] } },
  );
}

/** `json`: a `Receipt` as text (receipt.ts builds it in one pass, same bytes as JSON.stringify). */
function sendJson(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** With respond-async the outcome arrives after the 202; a failure is logged once for the request. */
function watchAsyncOutcome(ticket: Ticket, requestId: string, count: number, logger: Logger): void {
  ticket.acknowledged.catch((error: unknown) => {
    const code = error instanceof GatewayError ? error.code : 'GW_ERR_INTERNAL';
    logger.warn({ requestId, code, count }, 'events accepted with respond-async were not delivered');
  });
}
