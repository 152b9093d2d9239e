/**
 * Parses the SDK's start-position selector (`amqp.annotation.x-opt-offset > '-1'` and friends)
 * into a position, and resolves a position to the first sequence number to deliver. Pure.
 */
import type { PartitionLog } from '../store/partition-log';

export type StartPosition =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: number; readonly inclusive: boolean }
  | { readonly kind: 'sequence'; readonly sequenceNumber: number; readonly inclusive: boolean }
  | { readonly kind: 'enqueued-time'; readonly timeMs: number; readonly inclusive: boolean };

const GRAMMAR =
  /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i;

/** Undefined when the expression is not one the SDK produces. */
export function parseStartPosition(expression: string): StartPosition | undefined {
  const match = GRAMMAR.exec(expression);
  if (!match) return undefined;
  const field = (match[1] as string).toLowerCase();
  const inclusive = match[2] === '>=';
  const value = match[3] as string;
  if (field === 'x-opt-offset') {
    if (value === '@latest') return { kind: 'latest' };
    if (value === '-1' && !inclusive) return { kind: 'earliest' };
    if (!/^-?\d+$/.test(value)) return undefined;
    return { kind: 'offset', offset: Number(value), inclusive };
  }
  if (!/^-?\d+$/.test(value)) return undefined;
  if (field === 'x-opt-sequence-number')
    return { kind: 'sequence', sequenceNumber: Number(value), inclusive };
  return { kind: 'enqueued-time', timeMs: Number(value), inclusive };
}

/** The sequence number the receiver starts at (events before it are skipped). */
export function firstSequenceFor(position: StartPosition, log: PartitionLog): number {
  switch (position.kind) {
    case 'earliest':
      return 0;
    case 'latest':
      return log.nextSequence;
    case 'offset':
      return log.sequenceAfterOffset(position.offset, position.inclusive);
    case 'sequence':
      return position.inclusive ? position.sequenceNumber : position.sequenceNumber + 1;
    case 'enqueued-time':
      return log.sequenceAfterTime(position.timeMs, position.inclusive);
  }
}
