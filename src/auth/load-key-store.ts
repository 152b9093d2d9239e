/**
 * Builds the key store the gateway starts with, and enforces "secure by default": a gateway that
 * targets Azure refuses to start without a key file holding at least one key; only a development
 * configuration (the embedded emulator) falls back to the well-known development key.
 */

import { readFileSync } from 'node:fs';
import { DEV_KEY_ENTRY } from './dev-key';
import { parseKeyFile } from './key-file';
import { createKeyStore, type KeyStore } from './key-store';

export interface LoadKeyStoreOptions {
  /** Path from `API_KEYS_FILE`; undefined when the variable is not set. */
  readonly file: string | undefined;
  /** True only when the gateway sends to the local emulator (config decides, not this module). */
  readonly developmentMode: boolean;
  readonly readFile?: (path: string) => string;
}

export function loadKeyStore(options: LoadKeyStoreOptions): KeyStore {
  const { file, developmentMode } = options;
  if (file === undefined || file === '') {
    if (developmentMode) return createKeyStore([DEV_KEY_ENTRY], { development: true });
    throw new Error(
      'API_KEYS_FILE is not set: a gateway that sends to Azure Event Hubs refuses to start without API keys. ' +
        'Create a key with `npm run keys -- create --id NAME --scopes events:write --types telemetry --sensors NAME --file keys.json` ' +
        'and set API_KEYS_FILE to that file.',
    );
  }
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new Error(`API_KEYS_FILE ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const parsed = parseKeyFile(text, `API_KEYS_FILE ${file}`);
  if (parsed.keys.length === 0)
    throw new Error(
      `API_KEYS_FILE ${file} holds no keys: every request would be refused. Add one with \`npm run keys -- create\`.`,
    );
  return createKeyStore(parsed.keys);
}
