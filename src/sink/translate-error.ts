/**
 * Turns whatever the SDK threw into a SinkError: the SDK's own error code (`ServerBusyError`,
 * `MessageTooLargeError`, ...) and its retryable verdict. An AggregateError (several SDK attempts)
 * is judged by its last attempt; an abort is never retryable; anything unknown is not retryable,
 * because retrying a programming error only delays the answer. Pure.
 */
import { SinkError } from './types';

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly retryable?: unknown;
  readonly message?: unknown;
}

export function toSinkError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  if (error instanceof AggregateError && error.errors.length > 0) {
    const last = toSinkError(error.errors[error.errors.length - 1]);
    return new SinkError(last.code, last.retryable, last.message, { cause: error });
  }
  if (typeof error !== 'object' || error === null) {
    return new SinkError('Unknown', false, String(error), { cause: error });
  }
  const like = error as ErrorLike;
  const name = typeof like.name === 'string' ? like.name : 'Error';
  const message = typeof like.message === 'string' ? like.message : name;
  if (name === 'AbortError') return new SinkError('AbortError', false, message, { cause: error });
  const code = typeof like.code === 'string' && like.code !== '' ? like.code : name;
  // The SDK calls UnauthorizedError retryable (a token may be renewed), but with our own key a
  // refusal repeats on every attempt: retrying only keeps the device waiting for the same answer.
  const retryable =
    code !== 'UnauthorizedError' && (typeof like.retryable === 'boolean' ? like.retryable : false);
  return new SinkError(code, retryable, message, { cause: error });
}
