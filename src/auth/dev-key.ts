/**
 * The well-known development API key, published on purpose like the emulator's SAS keys: it is
 * what `npm start` accepts when no `API_KEYS_FILE` is given and the gateway sends to the local
 * emulator outside production. It grants everything and protects nothing; production and a gateway
 * targeting Azure never accept it.
 */

import type { ApiKeyEntry } from './key-file';
import { hashApiKey } from './key-store';

export const DEV_API_KEY = 'dev-only-not-secret-gateway-key';
export const DEV_KEY_ID = 'development';

export const DEV_KEY_ENTRY: ApiKeyEntry = Object.freeze({
  id: DEV_KEY_ID,
  sha256: hashApiKey(DEV_API_KEY),
  scopes: Object.freeze(['events:write', 'tokens:issue', 'ops:read'] as const),
  eventTypes: Object.freeze(['*']),
  sensors: Object.freeze(['*']),
  tokens: Object.freeze({
    publishers: Object.freeze(['*']),
    hub: Object.freeze(['send', 'listen'] as const),
  }),
  comment: 'well-known development key; never valid against Azure',
});

/** Printed at start in development mode (to the terminal, not the log), like the emulator's key. */
export function developmentKeyBanner(): string {
  return [
    `  API key (well-known development key, all scopes, all sensors; refused in production and against Azure):`,
    `  Authorization: Bearer ${DEV_API_KEY}`,
    '  Set API_KEYS_FILE (see `npm run keys -- create`) to use your own keys.',
    '',
  ].join('\n');
}
