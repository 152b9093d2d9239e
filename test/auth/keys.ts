/**
 * API keys for tests: a key file's entries plus the plain keys to present, and header helpers.
 * Other features' tests can use `DEV_AUTH` with a gateway in development mode (the emulator target
 * accepts the well-known development key).
 */
import { DEV_API_KEY } from '../../src/auth/dev-key';
import type { ApiKeyEntry } from '../../src/auth/key-file';
import { hashApiKey } from '../../src/auth/key-store';

export const DEV_AUTH: Readonly<Record<string, string>> = Object.freeze({
  authorization: `Bearer ${DEV_API_KEY}`,
});

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Fixed, recognisable test keys (never used outside tests). */
export const KEYS = {
  partner: 'ehgw_test-partner-key-0000000000000000000000000',
  device17: 'ehgw_test-device-17-key-00000000000000000000000',
  fleetA: 'ehgw_test-fleet-a-key-0000000000000000000000000',
  capped: 'ehgw_test-capped-ttl-key-000000000000000000000',
  tokensOnly: 'ehgw_test-tokens-only-key-00000000000000000000',
} as const;

export const KEY_ENTRIES: readonly ApiKeyEntry[] = [
  {
    id: 'partner',
    sha256: hashApiKey(KEYS.partner),
    scopes: ['tokens:issue'],
    eventTypes: [],
    sensors: [],
    tokens: { publishers: ['sensor-17', 'plant-a-*'], hub: ['send', 'listen'] },
  },
  {
    id: 'device-17',
    sha256: hashApiKey(KEYS.device17),
    scopes: ['events:write'],
    eventTypes: ['*'],
    sensors: ['sensor-17'],
  },
  {
    id: 'fleet-a',
    sha256: hashApiKey(KEYS.fleetA),
    scopes: ['events:write'],
    eventTypes: ['*'],
    sensors: ['plant-a/*'],
  },
  {
    id: 'capped',
    sha256: hashApiKey(KEYS.capped),
    scopes: ['tokens:issue'],
    eventTypes: [],
    sensors: [],
    tokens: { publishers: ['*'], maxTtlSeconds: 300 },
  },
  {
    id: 'tokens-only',
    sha256: hashApiKey(KEYS.tokensOnly),
    scopes: ['tokens:issue'],
    eventTypes: ['*'],
    sensors: ['*'],
    tokens: { publishers: ['*'], hub: ['send', 'listen'] },
  },
];
