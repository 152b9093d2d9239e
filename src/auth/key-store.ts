/**
 * The in-memory key store: SHA-256 of the presented key → principal. Keys are looked up by hash
 * (a Map built once at start, so a request costs one hash and one Map lookup) and then confirmed
 * with `timingSafeEqual` over the digests, so no code path compares secret bytes with `===`.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from './key-file';
import { toPrincipal, type Principal } from './principal';

export interface KeyStore {
  /** True when this store holds only the well-known development key. */
  readonly development: boolean;
  /** Key ids, for start-up logs (never the keys or hashes). */
  readonly keyIds: readonly string[];
  lookup(presentedKey: string): Principal | undefined;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface Slot {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export function createKeyStore(
  entries: readonly ApiKeyEntry[],
  options: { readonly development?: boolean } = {},
): KeyStore {
  const slots = new Map<string, Slot>();
  for (const entry of entries) {
    const digest = Buffer.from(entry.sha256, 'hex');
    if (digest.length !== 32) throw new Error(`key ${entry.id}: sha256 must be 32 bytes of hex`);
    if (slots.has(entry.sha256)) throw new Error(`key ${entry.id}: another key has the same sha256`);
    slots.set(entry.sha256, { digest, principal: toPrincipal(entry) });
  }
  return Object.freeze({
    development: options.development ?? false,
    keyIds: Object.freeze(entries.map((entry) => entry.id)),
    lookup(presentedKey: string): Principal | undefined {
      const digest = createHash('sha256').update(presentedKey, 'utf8').digest();
      const slot = slots.get(digest.toString('hex'));
      return slot !== undefined && timingSafeEqual(slot.digest, digest) ? slot.principal : undefined;
    },
  });
}
