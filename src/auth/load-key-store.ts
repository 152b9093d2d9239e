/**
 * Builds the key store the gateway starts with, and enforces "secure by default": a gateway that
 * is not in development against an emulator refuses to start without a key file holding at least
 * one key; only development against an emulator falls back to the well-known development key.
 * `openKeyStore` is what the gateway uses (the file's keys stay live: key-reloader.ts);
 * `loadKeyStore` reads once (tools and tests).
 */

import type { Logger } from 'pino';
import { StartupError } from '../config/startup-error';
import { DEV_KEY_ENTRY } from './dev-key';
import { readKeyFileAtStart } from './key-file-at-start';
import type { KeyReloadObserver } from './key-reload-metrics';
import { createLiveKeyStore, type LiveKeyStore } from './key-reloader';
import { createKeyStore, type KeyStore } from './key-store';

export interface LoadKeyStoreOptions {
  /** Path from `API_KEYS_FILE`; undefined when the variable is not set. */
  readonly file: string | undefined;
  /** True only in development against an emulator (config decides, not this module). */
  readonly developmentMode: boolean;
  readonly readFile?: (path: string) => string;
}

function missingFile(): StartupError {
  return new StartupError(
    'API_KEYS_FILE',
    'API_KEYS_FILE is not set: outside development against an emulator the gateway refuses to start without API keys. ' +
      'Create a key with `npm run keys -- create --id NAME --scopes events:write --types telemetry --sensors NAME --file keys.json` ' +
      '(in the image: `node dist/src/tools/keys.js create ...`) and set API_KEYS_FILE to that file.',
  );
}

/** Reads the keys once. */
export function loadKeyStore(options: LoadKeyStoreOptions): KeyStore {
  const { file, developmentMode } = options;
  if (file === undefined || file === '') {
    if (developmentMode) return createKeyStore([DEV_KEY_ENTRY], { development: true });
    throw missingFile();
  }
  return createKeyStore(readKeyFileAtStart(file, options.readFile).entries);
}

export interface OpenKeyStoreOptions {
  readonly file: string | undefined;
  readonly developmentMode: boolean;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly observer?: KeyReloadObserver;
  readonly pollMs?: number;
}

/** The gateway's store: live keys from the file, or the development key (nothing to reload). */
export function openKeyStore(options: OpenKeyStoreOptions): LiveKeyStore {
  const { file, developmentMode, logger } = options;
  if (file === undefined || file === '') {
    if (!developmentMode) throw missingFile();
    const store = createKeyStore([DEV_KEY_ENTRY], { development: true });
    return Object.freeze({
      development: store.development,
      keyIds: store.keyIds,
      lookup: (key: string) => store.lookup(key),
      reload: (reason: string) => {
        logger.info({ reason }, 'no API_KEYS_FILE (development key): nothing to reload');
        return Promise.resolve();
      },
      close: () => undefined,
    });
  }
  return createLiveKeyStore({
    file,
    logger,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
}
