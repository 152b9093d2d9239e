/**
 * What a sink failure means for the device and for the operator, from the SDK's error code (and,
 * for socket errors the SDK wraps, the system error in the message). `kind` decides the answer: only
 * `transient` failures may succeed on a retry (503 retryable); `too-large` is the reading's fault;
 * `unauthorized` and `not-found` are the deployment's (a wrong key or hub name never heals by
 * itself). `problem` is the short reason readiness and the hub-state log line give. Pure.
 */

export type SinkFailureKind = 'transient' | 'too-large' | 'unauthorized' | 'not-found' | 'permanent';
export type HubProblem =
  'timeout' | 'refused' | 'dns' | 'unauthorized' | 'not-found' | 'busy' | 'connection' | 'error';

const TOO_LARGE = new Set(['MessageTooLargeError']);
const UNAUTHORIZED = new Set(['UnauthorizedError']);
const NOT_FOUND = new Set(['MessagingEntityNotFoundError', 'MessagingEntityDisabledError']);
const TIMEOUT = new Set(['SendTimeout', 'SetupTimeout', 'OperationTimeoutError', 'ServiceUnavailableError']);
const BUSY = new Set(['ServerBusyError', 'QuotaExceededError', 'InternalServerError']);

export function failureKind(code: string, retryable: boolean): SinkFailureKind {
  if (TOO_LARGE.has(code)) return 'too-large';
  if (UNAUTHORIZED.has(code)) return 'unauthorized';
  if (NOT_FOUND.has(code)) return 'not-found';
  return retryable ? 'transient' : 'permanent';
}

export function hubProblem(code: string, message: string): HubProblem {
  if (UNAUTHORIZED.has(code)) return 'unauthorized';
  if (NOT_FOUND.has(code)) return 'not-found';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'dns';
  if (/ECONNREFUSED/.test(message)) return 'refused';
  if (TIMEOUT.has(code) || /ETIMEDOUT/.test(message)) return 'timeout';
  if (BUSY.has(code)) return 'busy';
  if (/Connection|Detach|ECONNRESET|EPIPE/i.test(code + ' ' + message)) return 'connection';
  return 'error';
}
