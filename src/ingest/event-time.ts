/**
 * Event time versus receive time, per event type (`eventTime` in `<type>.settings.json`): where a
 * reading's timestamp is (a JSON pointer), how old a reading may be before it is late
 * (`lateAfterSeconds`, a watermark relative to the receive time), how far ahead of the gateway's
 * clock it may be (`maxFutureSkewSeconds`), and what happens to each kind: `accept` (the default),
 * `flag` (stored with `late`/`future` and `lagSeconds` properties, so consumers need no watermark
 * of their own), `dead-letter` (sent to the dead-letter hub instead), `reject` (refused like an
 * invalid reading). Types without `eventTime` keep today's behaviour and cost nothing. Pure.
 */
import { parsePointer, resolvePointer } from './json-pointer';

export const EVENT_TIME_ACTIONS = ['accept', 'flag', 'dead-letter', 'reject'] as const;
export type EventTimeAction = (typeof EVENT_TIME_ACTIONS)[number];

/** As written in the settings file. */
export interface EventTimeSettings {
  readonly pointer: string;
  readonly lateAfterSeconds?: number;
  readonly late?: EventTimeAction;
  readonly maxFutureSkewSeconds?: number;
  readonly future?: EventTimeAction;
}

/** JSON Schema of `eventTime`, for the settings validator in event-types.ts. */
export const EVENT_TIME_SETTINGS_SCHEMA = {
  type: 'object',
  required: ['pointer'],
  properties: {
    pointer: { type: 'string', pattern: '^(/([^~]|~[01])*)+$' },
    lateAfterSeconds: { type: 'number', exclusiveMinimum: 0 },
    late: { enum: [...EVENT_TIME_ACTIONS] },
    maxFutureSkewSeconds: { type: 'number', minimum: 0 },
    future: { enum: [...EVENT_TIME_ACTIONS] },
  },
  additionalProperties: false,
} as const;

export interface EventTimeRules {
  readonly pointer: string;
  readonly path: readonly string[];
  /** Infinity when no watermark is set. */
  readonly lateAfterMs: number;
  readonly late: EventTimeAction;
  /** Infinity when no skew bound is set. */
  readonly maxFutureSkewMs: number;
  readonly future: EventTimeAction;
}

/** Settings → rules; throws naming the contradiction (an action without its bound). */
export function compileEventTime(settings: EventTimeSettings): EventTimeRules {
  const late = settings.late ?? 'accept';
  const future = settings.future ?? 'accept';
  if (late !== 'accept' && settings.lateAfterSeconds === undefined)
    throw new Error(`eventTime.late is "${late}" but eventTime.lateAfterSeconds is not set`);
  if (future !== 'accept' && settings.maxFutureSkewSeconds === undefined)
    throw new Error(`eventTime.future is "${future}" but eventTime.maxFutureSkewSeconds is not set`);
  return Object.freeze({
    pointer: settings.pointer,
    path: Object.freeze(parsePointer(settings.pointer)),
    lateAfterMs: settings.lateAfterSeconds === undefined ? Infinity : settings.lateAfterSeconds * 1000,
    late,
    maxFutureSkewMs:
      settings.maxFutureSkewSeconds === undefined ? Infinity : settings.maxFutureSkewSeconds * 1000,
    future,
  });
}

export type Timeliness =
  /** No usable timestamp at the pointer: nothing to judge (the schema decides whether it is required). */
  | { readonly kind: 'unknown' }
  | { readonly kind: 'on-time' | 'late' | 'future'; readonly lagSeconds: number };

const UNKNOWN: Timeliness = Object.freeze({ kind: 'unknown' });

/** `lagSeconds` = receive time − reading time (negative for a reading from the future). */
export function timelinessOf(rules: EventTimeRules, value: unknown, receivedAtMs: number): Timeliness {
  const stamp = resolvePointer(value, rules.path);
  if (typeof stamp !== 'string') return UNKNOWN;
  const at = Date.parse(stamp);
  if (Number.isNaN(at)) return UNKNOWN;
  const lagMs = receivedAtMs - at;
  const lagSeconds = Math.round(lagMs) / 1000;
  if (lagMs > rules.lateAfterMs) return { kind: 'late', lagSeconds };
  if (-lagMs > rules.maxFutureSkewMs) return { kind: 'future', lagSeconds };
  return { kind: 'on-time', lagSeconds };
}
