/** Public surface of API-key authentication and authorisation. */

export {
  authenticate,
  authenticateHeader,
  authenticateRequest,
  extractApiKey,
  getPrincipal,
  requireScope,
  WWW_AUTHENTICATE,
} from './authenticate';
export { authorizeIngest, authorizeSensors, forbiddenEvent, type SensorDecision } from './authorize';
export { DEV_API_KEY, DEV_KEY_ENTRY, DEV_KEY_ID, developmentKeyBanner } from './dev-key';
export {
  addKey,
  KeyFileError,
  parseKeyFile,
  revokeKey,
  serializeKeyFile,
  type ApiKeyEntry,
  type ApiKeyFile,
} from './key-file';
export { createKeyStore, hashApiKey, type KeyStore } from './key-store';
export { API_KEY_PREFIX, generateApiKey } from './generate-key';
export { loadKeyStore, type LoadKeyStoreOptions } from './load-key-store';
export { matchesAny, compilePatterns, type CompiledPatterns } from './patterns';
export {
  SCOPES,
  HUB_ACCESS,
  toPrincipal,
  type GrantSpec,
  type HubAccess,
  type Principal,
  type Scope,
  type TokenGrant,
} from './principal';
