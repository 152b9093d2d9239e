/**
 * The claims a connection has put through CBS: which resource each token covers, until when, and
 * with which rights. Links are authorised against them at attach and again on every transfer or
 * delivery, so a link whose token lapsed stops working until a fresh put-token arrives.
 */
import { covers, resourcePath } from './sas';
import type { Right } from '../well-known';

export interface Claim {
  /** The token's resource (`sr`, decoded). */
  readonly resource: string;
  readonly expiresAtMs: number;
  readonly rights: readonly Right[];
}

export type ClaimCheck = 'ok' | 'missing' | 'expired' | 'rights';

export class ClaimSet {
  readonly #byAudience = new Map<string, Claim>();

  /** A renewal for the same audience replaces the earlier claim. */
  put(audience: string, claim: Claim): void {
    this.#byAudience.set(resourcePath(audience), claim);
  }

  check(target: string, anyOfRights: readonly Right[], now: number): ClaimCheck {
    let result: ClaimCheck = 'missing';
    for (const claim of this.#byAudience.values()) {
      if (!covers(claim.resource, target)) continue;
      if (anyOfRights.length > 0 && !anyOfRights.some((r) => claim.rights.includes(r))) {
        if (result === 'missing') result = 'rights';
        continue;
      }
      if (claim.expiresAtMs <= now) {
        result = 'expired';
        continue;
      }
      return 'ok';
    }
    return result;
  }
}
