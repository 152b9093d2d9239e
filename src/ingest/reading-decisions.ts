/**
 * What happens to each reading of a request, decided one by one: stored (possibly flagged late or
 * future), refused (schema, partition key, message id, or a late/future rule that says `reject`),
 * or diverted to the dead-letter hub (a late/future rule that says `dead-letter`). The strict
 * all-or-nothing path (prepare-events.ts) is the same checks without the bookkeeping; this one
 * serves lenient handling, dry runs and event types with `eventTime` rules. Pure: the clock comes
 * in as `receivedAtMs`.
 */
import type { OutgoingEvent } from '../batching/types';
import { GatewayError, type ErrorCode } from '../errors';
import type { EventType } from './event-types';
import { timelinessOf, type EventTimeAction } from './event-time';
import { resolvePointer } from './json-pointer';
import type { ParsedEvent } from './parse-body';
import {
  MAX_PARTITION_KEY_LENGTH,
  MAX_REPORTED_ERRORS,
  prepareEvent,
  type EventProblem,
  type PrepareContext,
} from './prepare-events';

/** Why a reading was not stored as is. */
export type ReadingCode = Extract<
  ErrorCode,
  'GW_ERR_VALIDATION' | 'GW_ERR_PARTITION_KEY' | 'GW_ERR_LATE_READING' | 'GW_ERR_FUTURE_READING'
>;

export interface StoredReading {
  readonly index: number;
  readonly event: OutgoingEvent;
}

export interface RefusedReading {
  readonly index: number;
  readonly code: ReadingCode;
  /** The reading's first problem (all of them are in `ReadingDecisions.problems`, capped). */
  readonly problem: EventProblem;
  readonly problemCount: number;
  /** The reading's bytes as received. */
  readonly raw: Buffer;
  /** Its partition key when one could be read (device binding still applies to it). */
  readonly partitionKey: string | undefined;
}

export interface ReadingDecisions {
  readonly count: number;
  readonly stored: StoredReading[];
  /** Refused by validation or by a `reject` rule: a 422 in strict mode, reported per index in lenient. */
  readonly refused: RefusedReading[];
  /** Sent to the dead-letter hub by a `dead-letter` rule, in any mode. */
  readonly diverted: RefusedReading[];
  /** Every problem of `refused` readings, as the 422 lists them (capped at MAX_REPORTED_ERRORS). */
  readonly problems: EventProblem[];
  problemCount: number;
  /** Readings flagged late / future (stored with properties). */
  flaggedLate: number;
  flaggedFuture: number;
  /** How many readings were judged (fewer than `count` when a strict pass stopped early). */
  checked: number;
}

export interface DecideOptions extends PrepareContext {
  readonly receivedAtMs: number;
  /** Called with each judged reading's lag (receive time − reading time), for the lag histogram. */
  readonly observeLag?: (seconds: number) => void;
  /**
   * Strict handling: any refusal refuses the request, so stop once the report is full, as the
   * strict path does (a refused request costs at most that much validation).
   */
  readonly stopWhenReportFull?: boolean;
}

export function decideReadings(
  type: EventType,
  parsed: readonly ParsedEvent[],
  options: DecideOptions,
): ReadingDecisions {
  const decisions: ReadingDecisions = {
    count: parsed.length,
    stored: [],
    refused: [],
    diverted: [],
    problems: [],
    problemCount: 0,
    flaggedLate: 0,
    flaggedFuture: 0,
    checked: 0,
  };
  const stopWhenFull = options.stopWhenReportFull ?? false;
  const rules = type.eventTime;
  let own: EventProblem[] = [];
  const report = (problem: EventProblem): void => {
    own.push(problem);
  };
  for (let index = 0; index < parsed.length; index++) {
    if (stopWhenFull && decisions.problems.length >= MAX_REPORTED_ERRORS) break;
    decisions.checked++;
    const reading = parsed[index] as ParsedEvent;
    own = [];
    const prepared = prepareEvent(type, reading, index, options, report);
    if (typeof prepared === 'string') {
      refuse(decisions, decisions.refused, type, reading, index, prepared, own);
      continue;
    }
    if (rules === undefined) {
      decisions.stored.push({ index, event: prepared });
      continue;
    }
    const timeliness = timelinessOf(rules, reading.value, options.receivedAtMs);
    if (timeliness.kind === 'unknown') {
      decisions.stored.push({ index, event: prepared });
      continue;
    }
    options.observeLag?.(timeliness.lagSeconds);
    if (timeliness.kind === 'on-time') {
      decisions.stored.push({ index, event: prepared });
      continue;
    }
    const late = timeliness.kind === 'late';
    const action: EventTimeAction = late ? rules.late : rules.future;
    if (action === 'accept') {
      decisions.stored.push({ index, event: prepared });
    } else if (action === 'flag') {
      prepared.properties[late ? 'late' : 'future'] = true;
      prepared.properties.lagSeconds = timeliness.lagSeconds;
      if (late) decisions.flaggedLate++;
      else decisions.flaggedFuture++;
      decisions.stored.push({ index, event: prepared });
    } else {
      const lag = Math.abs(timeliness.lagSeconds);
      const problem: EventProblem = {
        index,
        pointer: rules.pointer,
        message: late
          ? `reading is ${lag} s older than its receive time (late after ${rules.lateAfterMs / 1000} s)`
          : `reading is ${lag} s ahead of the gateway's clock (at most ${rules.maxFutureSkewMs / 1000} s allowed)`,
      };
      const code = late ? 'GW_ERR_LATE_READING' : 'GW_ERR_FUTURE_READING';
      const into = action === 'reject' ? decisions.refused : decisions.diverted;
      refuse(decisions, into, type, reading, index, code, [problem]);
    }
  }
  return decisions;
}

function refuse(
  decisions: ReadingDecisions,
  into: RefusedReading[],
  type: EventType,
  reading: ParsedEvent,
  index: number,
  code: ReadingCode,
  problems: readonly EventProblem[],
): void {
  const problem = problems[0] ?? { index, pointer: '', message: 'is invalid' };
  const key = resolvePointer(reading.value, type.partitionKeyPath);
  into.push({
    index,
    code,
    problem,
    problemCount: Math.max(1, problems.length),
    raw: reading.raw,
    partitionKey:
      typeof key === 'string' && key.length > 0 && key.length <= MAX_PARTITION_KEY_LENGTH ? key : undefined,
  });
  // Only refusals are the request's problems; diverted readings are not errors of the request.
  if (into !== decisions.refused) return;
  for (const each of problems) {
    decisions.problemCount++;
    if (decisions.problems.length < MAX_REPORTED_ERRORS) decisions.problems.push(each);
  }
}

/** The 422 for refused readings, as the strict path words it (`nothing` says what was not sent). */
export function refusalError(decisions: ReadingDecisions, nothing: string): GatewayError {
  const codes = new Set(decisions.refused.map((r) => r.code));
  const code: ReadingCode = codes.size === 1 ? [...codes][0]! : 'GW_ERR_VALIDATION';
  const partial = decisions.checked < decisions.count;
  return new GatewayError(
    code,
    partial
      ? `${decisions.refused.length} of the first ${decisions.checked} of ${decisions.count} event(s) failed (validation stopped at ${MAX_REPORTED_ERRORS} problems); ${nothing}`
      : `${decisions.refused.length} of ${decisions.count} event(s) failed; ${nothing}`,
    {
      extensions: {
        errors: decisions.problems,
        errorCount: decisions.problemCount,
        truncated: decisions.problemCount > decisions.problems.length || partial,
      },
    },
  );
}
