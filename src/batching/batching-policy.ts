/**
 * The batching and sending policy derived from the operator's settings, in one place with a name
 * and a reason for each rule, instead of arithmetic scattered through the composition root. Pure.
 */

export interface BatchingPolicyInput {
  readonly http: { readonly requestDeadlineMs: number };
  readonly batching: { readonly lingerUnderLoadMs: number; readonly maxBufferedBytes: number };
}

export interface BatchingPolicy {
  /**
   * Refuse new work for a partition (503 + Retry-After) once its oldest waiting reading has used
   * half a request's deadline: more accepted work would only time out after being sent.
   */
  readonly maxQueueDelayMs: number;
  /** A batch held under load must still leave in time for its requests: a quarter of the deadline. */
  readonly lingerUnderLoadMs: number;
  /**
   * The SDK's own per-operation timeout: an operation outliving every waiting request helps
   * nobody, but never below 5 s, so a link set-up (CBS, attach) on a merely slow hub completes.
   * It is also the ceiling of the derived attempt timeouts.
   */
  readonly sdkAttemptCeilingMs: number;
  /** A send on a healthy link is answered in milliseconds: a second without one means a dead link. */
  readonly sendAttemptFloorMs: number;
  /** Link set-up (CBS + attach) takes longer than a send: a set-up bound never below 2 s. */
  readonly setupAttemptFloorMs: number;
  /** Attempt bound = this × the slowest recent answer (within floor and ceiling). */
  readonly attemptTimeoutMultiplier: number;
  /** How often hub health is re-evaluated for the one-line-per-change log: four times a second. */
  readonly healthIntervalMs: number;
  /**
   * The dead-letter hub's own buffer cap, on top of MAX_BUFFERED_BYTES: a quarter of it, so a
   * dead-letter hub in trouble cannot take the memory the main hub's readings need.
   */
  readonly deadLetterMaxBufferedBytes: number;
}

const MIN_SDK_ATTEMPT_MS = 5_000;

export function deriveBatchingPolicy(config: BatchingPolicyInput): BatchingPolicy {
  const deadline = config.http.requestDeadlineMs;
  return Object.freeze({
    maxQueueDelayMs: Math.max(1, Math.floor(deadline / 2)),
    lingerUnderLoadMs: Math.min(config.batching.lingerUnderLoadMs, Math.floor(deadline / 4)),
    sdkAttemptCeilingMs: Math.max(deadline, MIN_SDK_ATTEMPT_MS),
    sendAttemptFloorMs: 1000,
    setupAttemptFloorMs: 2000,
    attemptTimeoutMultiplier: 5,
    healthIntervalMs: 250,
    deadLetterMaxBufferedBytes: Math.max(1, Math.floor(config.batching.maxBufferedBytes / 4)),
  });
}
