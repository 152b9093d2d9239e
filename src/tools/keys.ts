/**
 * `npm run keys -- <command>`: manage the API-key file without ever storing a secret.
 *
 *   create --id NAME --scopes events:write,tokens:issue --types telemetry --sensors sensor-17
 *          [--publishers sensor-17,plant-a-*] [--hub send,listen] [--max-ttl 900] [--file path]
 *   list   [--file path]
 *   revoke --id NAME [--file path]
 *
 * `create` prints the new key once, on stdout, and writes only its SHA-256 to the file (created
 * with mode 0600 if missing). The file defaults to $API_KEYS_FILE, else ./api-keys.local.json;
 * `.env` is read like the gateway reads it. A running gateway picks every change up by itself
 * within seconds (src/auth/key-reloader.ts).
 *
 * `create` refuses keys that could never work: `--types` must name event types that exist in
 * EVENT_TYPES_DIR (or `--types-dir`), and a key with `events:write` must say which sensors it may
 * write for (`--sensors '*'` for all of them: never by omission).
 * In the image: `node dist/src/tools/keys.js <command> ...` (README, "Container").
 */

import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateApiKey } from '../auth/generate-key';
import {
  addKey,
  parseKeyFile,
  revokeKey,
  serializeKeyFile,
  type ApiKeyEntry,
  type ApiKeyFile,
} from '../auth/key-file';
import { hashApiKey } from '../auth/key-store';
import { compilePatterns, matchesAny } from '../auth/patterns';
import { HUB_ACCESS, SCOPES, type HubAccess, type Scope } from '../auth/principal';
import { readEnvFile, withEnvFile, type Env } from '../config/env-file';

const USAGE = `usage:
  npm run keys -- create --id NAME --scopes events:write,tokens:issue --types telemetry --sensors sensor-17
                         [--publishers sensor-17,plant-a-*] [--hub send,listen] [--max-ttl SECONDS] [--file PATH]
                         [--types-dir DIR (default $EVENT_TYPES_DIR, else ./schemas)]
  npm run keys -- list [--file PATH]
  npm run keys -- revoke --id NAME [--file PATH]`;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

function readKeyFile(path: string): ApiKeyFile {
  return existsSync(path) ? parseKeyFile(readFileSync(path, 'utf8'), path) : { keys: [] };
}

// Write-then-rename so a crash never leaves a half-written file for the gateway to refuse.
function writeKeyFile(path: string, file: ApiKeyFile): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serializeKeyFile(file), { mode: 0o600 });
  renameSync(temporary, path);
}

function pick<T extends string>(values: string[], allowed: readonly T[], flag: string): T[] {
  const bad = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (bad.length > 0) throw new Error(`--${flag}: unknown ${bad.join(', ')}; allowed: ${allowed.join(', ')}`);
  return values as T[];
}

/** The event types of `dir`: every `<type>.schema.json`. */
function eventTypesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new Error(`--types-dir / EVENT_TYPES_DIR: cannot read ${dir} (${(error as Error).message})`, {
      cause: error,
    });
  }
  return names
    .filter((name) => name.endsWith('.schema.json'))
    .map((name) => name.slice(0, -'.schema.json'.length));
}

/** Each --types pattern must cover at least one event type that exists (a typo grants nothing). */
function checkTypes(patterns: readonly string[], dir: string): void {
  const known = eventTypesIn(dir);
  const unknown = patterns.filter(
    (pattern) => !known.some((type) => matchesAny(compilePatterns([pattern]), type)),
  );
  if (unknown.length > 0)
    throw new Error(
      `--types: no event type ${unknown.join(', ')} in ${dir}; known: ${known.join(', ') || '(none)'}`,
    );
}

export function run(
  argv: readonly string[],
  out: (line: string) => void,
  now: () => Date = () => new Date(),
  env: Env = process.env,
): void {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      scopes: { type: 'string' },
      types: { type: 'string' },
      sensors: { type: 'string' },
      publishers: { type: 'string' },
      hub: { type: 'string' },
      'max-ttl': { type: 'string' },
      file: { type: 'string' },
      'types-dir': { type: 'string' },
    },
  });
  const file = values.file ?? env.API_KEYS_FILE ?? 'api-keys.local.json';
  const command = positionals[0];
  if (command === 'create') {
    if (values.id === undefined) throw new Error(`create needs --id\n${USAGE}`);
    const scopes = pick<Scope>(list(values.scopes), SCOPES, 'scopes');
    if (scopes.length === 0) throw new Error(`create needs --scopes (${SCOPES.join(',')})`);
    const eventTypes = list(values.types);
    const sensors = list(values.sensors);
    if (scopes.includes('events:write')) {
      if (eventTypes.length === 0)
        throw new Error('create --scopes events:write needs --types: the event types this key may write');
      if (sensors.length === 0)
        throw new Error(
          "create --scopes events:write needs --sensors: exact ids, prefixes like 'plant-a/*', or '*' for every sensor",
        );
    }
    if (eventTypes.length > 0)
      checkTypes(eventTypes, resolve(values['types-dir'] ?? env.EVENT_TYPES_DIR ?? 'schemas'));
    const publishers = list(values.publishers);
    const hub = pick<HubAccess>(list(values.hub), HUB_ACCESS, 'hub');
    const maxTtl = values['max-ttl'] === undefined ? undefined : Number(values['max-ttl']);
    const key = generateApiKey();
    const entry: ApiKeyEntry = {
      id: values.id,
      sha256: hashApiKey(key),
      scopes,
      eventTypes,
      sensors,
      ...(publishers.length > 0 || hub.length > 0 || maxTtl !== undefined
        ? { tokens: { publishers, hub, ...(maxTtl === undefined ? {} : { maxTtlSeconds: maxTtl }) } }
        : {}),
      createdAt: now().toISOString(),
    };
    const next = addKey(readKeyFile(file), entry);
    // Re-parse what we are about to write so the tool cannot produce a file the gateway refuses.
    parseKeyFile(serializeKeyFile(next), file);
    writeKeyFile(file, next);
    out(`Created key ${entry.id} in ${file}. It is shown only now; store it safely:`);
    out(key);
  } else if (command === 'list') {
    const { keys } = readKeyFile(file);
    if (keys.length === 0) out(`${file}: no keys`);
    for (const entry of keys) {
      const tokens = entry.tokens;
      out(
        [
          entry.id,
          `scopes=${entry.scopes.join(',')}`,
          `types=${entry.eventTypes.join(',')}`,
          `sensors=${entry.sensors.join(',')}`,
          ...(tokens === undefined
            ? []
            : [
                `publishers=${(tokens.publishers ?? []).join(',')}`,
                `hub=${(tokens.hub ?? []).join(',')}`,
                ...(tokens.maxTtlSeconds === undefined ? [] : [`maxTtl=${tokens.maxTtlSeconds}`]),
              ]),
          ...(entry.createdAt === undefined ? [] : [`created=${entry.createdAt}`]),
        ].join('  '),
      );
    }
  } else if (command === 'revoke') {
    if (values.id === undefined) throw new Error(`revoke needs --id\n${USAGE}`);
    writeKeyFile(file, revokeKey(readKeyFile(file), values.id));
    out(`Revoked key ${values.id} in ${file}. A running gateway refuses it within seconds.`);
  } else {
    throw new Error(USAGE);
  }
}

if (require.main === module) {
  try {
    const env = withEnvFile(process.env, readEnvFile(resolve('.env')));
    run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), undefined, env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
