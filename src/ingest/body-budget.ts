/**
 * The memory request bodies hold while they are read, counted against the same cap as the events
 * waiting for the hub (MAX_BUFFERED_BYTES). Without it the cap bounds only what was admitted:
 * 300 gzip bodies of 1 KB that each inflate to 1 MiB are decompressed side by side, and the
 * process holds 300 MiB that no gauge shows.
 *
 * A read holds the most the bytes it received can become (for gzip, those bytes times the
 * inflation-ratio bound, never past MAX_BODY_BYTES), grown as they arrive: a client that stalls
 * holds for what it sent, not for what its Content-Length promised. When bodies in reading plus
 * buffered events would pass the cap, the read is refused with 503 and Retry-After, as the
 * batcher refuses events; a body whose Content-Length could not fit even now is refused before it
 * is read (`check`, which holds nothing). A hold lives only while its body is read:
 * parsing and enqueueing follow synchronously, and from then on the batcher charges the events.
 */
import { GatewayError } from '../errors';

export interface BodyBudget {
  /** A hold of 0 bytes for one body. */
  hold(): BodyHold;
  /** Bytes held by bodies being read. */
  readonly heldBytes: number;
}

export interface BodyHold {
  /** Sets the hold to `bytes`; throws GW_ERR_BUFFER_FULL when growing it would pass the cap. */
  resize(bytes: number): void;
  /** Throws GW_ERR_BUFFER_FULL if a hold of `bytes` would not fit now (holds nothing). */
  check(bytes: number): void;
  /** Gives the bytes back. Idempotent. */
  release(): void;
}

export interface BodyBudgetOptions {
  /** The shared cap (MAX_BUFFERED_BYTES). */
  readonly maxBytes: number;
  /** Bytes the batcher holds now (its buffered events). */
  readonly bufferedBytes: () => number;
  /** Retry-After seconds of the refusal. */
  readonly retryAfterSeconds?: number;
}

export function createBodyBudget(options: BodyBudgetOptions): BodyBudget {
  const { maxBytes, bufferedBytes } = options;
  if (!(maxBytes > 0)) throw new Error('maxBytes must be positive');
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  let held = 0;
  return {
    get heldBytes() {
      return held;
    },
    hold(): BodyHold {
      let mine = 0;
      let released = false;
      const full = (): GatewayError =>
        new GatewayError(
          'GW_ERR_BUFFER_FULL',
          'The gateway holds as many request bodies and events as its memory cap allows; retry shortly.',
          { retryAfterSeconds },
        );
      return {
        resize(bytes) {
          if (released) return;
          if (bytes > mine && held - mine + bytes + bufferedBytes() > maxBytes) throw full();
          held += bytes - mine;
          mine = bytes;
        },
        check(bytes) {
          if (held - mine + bytes + bufferedBytes() > maxBytes) throw full();
        },
        release() {
          if (released) return;
          released = true;
          held -= mine;
          mine = 0;
        },
      };
    },
  };
}

/** For callers with no cap (unit tests, `createApp` without a batcher cap). */
export const UNBOUNDED_BODY_BUDGET: BodyBudget = {
  heldBytes: 0,
  hold: () => ({ resize: () => undefined, check: () => undefined, release: () => undefined }),
};
