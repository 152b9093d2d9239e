/**
 * Test API keys: random `ehgw_` keys and a key file (the format of src/auth/key-file.ts) in a
 * temporary folder, for tests that need more than the well-known development key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey, type Scope } from '../../src/auth';

export interface TestKey {
  readonly id: string;
  readonly key: string;
}

export function newTestKey(id: string): TestKey {
  return { id, key: `ehgw_${randomBytes(32).toString('base64url')}` };
}

/** Writes a key file granting each key every event type and sensor; returns its path. */
export function writeKeyFile(
  keys: readonly TestKey[],
  scopes: readonly Scope[] = ['events:write', 'tokens:issue'],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
  const path = join(dir, 'keys.json');
  const file = {
    keys: keys.map(({ id, key }) => ({
      id,
      sha256: hashApiKey(key),
      scopes,
      eventTypes: ['*'],
      sensors: ['*'],
      tokens: { publishers: ['*'], hub: ['send', 'listen'] },
    })),
  };
  writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
  return path;
}
