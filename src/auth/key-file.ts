/**
 * The API-key file (`API_KEYS_FILE`): parsing with every problem reported at once by JSON path,
 * and the pure edits the `keys` tool makes. The file holds SHA-256 hashes of the secrets, never
 * the secrets, so a leaked file does not leak keys.
 *
 * ```json
 * { "keys": [ { "id": "sensor-17", "sha256": "<64 hex>", "scopes": ["events:write"],
 *   "eventTypes": ["telemetry"], "sensors": ["sensor-17"],
 *   "tokens": { "publishers": ["sensor-17"], "hub": ["send"], "maxTtlSeconds": 900 } } ] }
 * ```
 */

import { patternProblem } from './patterns';
import { HUB_ACCESS, SCOPES, type GrantSpec, type HubAccess, type Scope } from './principal';

export interface ApiKeyEntry extends GrantSpec {
  /** Lowercase hex SHA-256 of the key's UTF-8 bytes. */
  readonly sha256: string;
  /** Free text for operators, kept when the tool rewrites the file. */
  readonly comment?: string;
  readonly createdAt?: string;
}

export interface ApiKeyFile {
  readonly keys: readonly ApiKeyEntry[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const ENTRY_FIELDS = new Set([
  'id',
  'sha256',
  'scopes',
  'eventTypes',
  'sensors',
  'tokens',
  'comment',
  'createdAt',
]);
const TOKEN_FIELDS = new Set(['publishers', 'hub', 'maxTtlSeconds']);

export class KeyFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid API-key file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'KeyFileError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringList(value: unknown, path: string, problems: string[]): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    problems.push(`${path} must be an array of strings`);
    return [];
  }
  return value;
}

function patternList(
  value: unknown,
  path: string,
  problems: string[],
  extra?: (p: string) => string | undefined,
) {
  const list = stringList(value, path, problems);
  list.forEach((pattern, i) => {
    const problem = patternProblem(pattern) ?? extra?.(pattern);
    if (problem !== undefined) problems.push(`${path}[${i}] ${JSON.stringify(pattern)} ${problem}`);
  });
  return list;
}

function enumList<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  problems: string[],
): T[] {
  const list = stringList(value, path, problems);
  const bad = list.filter((item) => !(allowed as readonly string[]).includes(item));
  if (bad.length > 0)
    problems.push(`${path} has unknown value(s) ${bad.join(', ')}; allowed: ${allowed.join(', ')}`);
  return list.filter((item): item is T => (allowed as readonly string[]).includes(item));
}

// Publisher names never contain '/' (they become one URI segment), so a pattern with '/' could
// never match: refuse it loudly instead of granting nothing silently.
const publisherPatternProblem = (pattern: string): string | undefined =>
  pattern.includes('/')
    ? "contains '/', which publisher names cannot (use a prefix like 'plant-a-*')"
    : undefined;

function parseEntry(raw: unknown, path: string, problems: string[]): ApiKeyEntry | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path} must be an object`);
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(raw))
    if (!ENTRY_FIELDS.has(field)) problems.push(`${path}.${field} is not a known field`);
  const { id, sha256 } = raw;
  if (typeof id !== 'string' || !ID_RE.test(id))
    problems.push(
      `${path}.id must be 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit`,
    );
  if (typeof sha256 !== 'string' || !SHA256_RE.test(sha256))
    problems.push(
      `${path}.sha256 must be 64 lowercase hex characters (the SHA-256 of the key, never the key)`,
    );
  const scopes = enumList<Scope>(raw.scopes ?? [], SCOPES, `${path}.scopes`, problems);
  const eventTypes = patternList(raw.eventTypes ?? [], `${path}.eventTypes`, problems);
  const sensors = patternList(raw.sensors ?? [], `${path}.sensors`, problems);
  let tokens: ApiKeyEntry['tokens'];
  if (raw.tokens !== undefined) {
    if (!isRecord(raw.tokens)) problems.push(`${path}.tokens must be an object`);
    else {
      const t = raw.tokens;
      for (const field of Object.keys(t))
        if (!TOKEN_FIELDS.has(field)) problems.push(`${path}.tokens.${field} is not a known field`);
      const publishers = patternList(
        t.publishers ?? [],
        `${path}.tokens.publishers`,
        problems,
        publisherPatternProblem,
      );
      const hub = enumList<HubAccess>(t.hub ?? [], HUB_ACCESS, `${path}.tokens.hub`, problems);
      const maxTtlSeconds = t.maxTtlSeconds;
      if (maxTtlSeconds !== undefined && (!Number.isInteger(maxTtlSeconds) || (maxTtlSeconds as number) < 1))
        problems.push(`${path}.tokens.maxTtlSeconds must be a positive integer`);
      tokens = { publishers, hub, ...(typeof maxTtlSeconds === 'number' ? { maxTtlSeconds } : {}) };
    }
  }
  for (const field of ['comment', 'createdAt'] as const)
    if (raw[field] !== undefined && typeof raw[field] !== 'string')
      problems.push(`${path}.${field} must be a string`);
  if (problems.length > before) return undefined;
  return {
    id: id as string,
    sha256: sha256 as string,
    scopes,
    eventTypes,
    sensors,
    ...(tokens === undefined ? {} : { tokens }),
    ...(typeof raw.comment === 'string' ? { comment: raw.comment } : {}),
    ...(typeof raw.createdAt === 'string' ? { createdAt: raw.createdAt } : {}),
  };
}

/** Parses and validates file text; throws `KeyFileError` listing every problem. */
export function parseKeyFile(text: string, source: string): ApiKeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeyFileError(source, [`not valid JSON (${(error as Error).message})`]);
  }
  if (!isRecord(json) || !Array.isArray(json.keys))
    throw new KeyFileError(source, ['must be an object with a "keys" array']);
  const problems: string[] = [];
  const keys: ApiKeyEntry[] = [];
  json.keys.forEach((raw, i) => {
    const entry = parseEntry(raw, `keys[${i}]`, problems);
    if (entry !== undefined) keys.push(entry);
  });
  // Duplicates are checked over every entry, valid or not, so one run reports them all.
  const seenIds = new Set<string>();
  const seenHashes = new Set<string>();
  for (const raw of json.keys as unknown[]) {
    if (!isRecord(raw)) continue;
    if (typeof raw.id === 'string') {
      if (seenIds.has(raw.id)) problems.push(`id ${JSON.stringify(raw.id)} appears more than once`);
      seenIds.add(raw.id);
    }
    // Two entries with one hash would make the grant depend on file order.
    if (typeof raw.sha256 === 'string') {
      if (seenHashes.has(raw.sha256))
        problems.push(`key ${JSON.stringify(raw.id)} has the same sha256 as another`);
      seenHashes.add(raw.sha256);
    }
  }
  if (problems.length > 0) throw new KeyFileError(source, problems);
  return { keys };
}

export function serializeKeyFile(file: ApiKeyFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Returns a new file with `entry` appended; refuses a duplicate id. */
export function addKey(file: ApiKeyFile, entry: ApiKeyEntry): ApiKeyFile {
  if (file.keys.some((existing) => existing.id === entry.id))
    throw new Error(
      `a key with id ${JSON.stringify(entry.id)} already exists; revoke it first or pick another id`,
    );
  return { keys: [...file.keys, entry] };
}

/** Returns a new file without the key `id`; throws when there is no such key. */
export function revokeKey(file: ApiKeyFile, id: string): ApiKeyFile {
  if (!file.keys.some((existing) => existing.id === id))
    throw new Error(`no key with id ${JSON.stringify(id)}`);
  return { keys: file.keys.filter((existing) => existing.id !== id) };
}
