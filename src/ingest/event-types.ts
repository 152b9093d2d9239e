/**
 * Event types: each is a JSON Schema (`<type>.schema.json`) plus its settings
 * (`<type>.settings.json`: partition-key pointer and schema version) in EVENT_TYPES_DIR. All are
 * read and compiled once at start-up, so a request only runs an already compiled validator; a bad
 * file stops the start with its name rather than failing the first request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ConfigError } from '../config/load-config';
import { parsePointer } from './json-pointer';

export interface EventTypeSettings {
  /** RFC 6901 pointer to the partition key inside each event, e.g. `/sensor_id`. */
  readonly partitionKey: string;
  /** Sent with every event as the `schemaVersion` application property. */
  readonly schemaVersion: string;
  readonly description?: string;
}

export interface EventType {
  readonly name: string;
  readonly settings: EventTypeSettings;
  readonly partitionKeyPath: readonly string[];
  readonly validate: ValidateFunction;
}

export type EventTypeRegistry = ReadonlyMap<string, EventType>;

export interface EventTypeDefinition {
  readonly name: string;
  readonly schema: object;
  readonly settings: unknown;
}

/** Type names become URL segments and property values: keep them boring. */
export const EVENT_TYPE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const SETTINGS_SCHEMA = {
  type: 'object',
  required: ['partitionKey', 'schemaVersion'],
  properties: {
    partitionKey: { type: 'string', pattern: '^(/([^~]|~[01])*)+$' },
    schemaVersion: { type: 'string', minLength: 1, maxLength: 64 },
    description: { type: 'string' },
  },
  additionalProperties: false,
} as const;

/** One ajv instance for all event types: formats on, every error of an event reported. */
export function createSchemaCompiler(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv;
}

/** Compiles definitions into a registry; throws naming the type whose schema or settings are bad. */
export function compileEventTypes(definitions: readonly EventTypeDefinition[]): EventTypeRegistry {
  const ajv = createSchemaCompiler();
  const validateSettings = ajv.compile<EventTypeSettings>(SETTINGS_SCHEMA);
  const registry = new Map<string, EventType>();
  for (const { name, schema, settings } of definitions) {
    if (!EVENT_TYPE_NAME.test(name))
      throw new Error(`event type "${name}": name must match ${EVENT_TYPE_NAME}`);
    if (!validateSettings(settings)) {
      throw new Error(`event type "${name}": settings ${ajv.errorsText(validateSettings.errors)}`);
    }
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new Error(`event type "${name}": schema does not compile: ${(error as Error).message}`);
    }
    registry.set(name, {
      name,
      settings: Object.freeze({ ...settings }),
      partitionKeyPath: Object.freeze(parsePointer(settings.partitionKey)),
      validate,
    });
  }
  return registry;
}

/** Reads every `<type>.schema.json` + `<type>.settings.json` pair in `dir` (start-up only). */
export function loadEventTypes(dir: string): EventTypeRegistry {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    throw new ConfigError([`EVENT_TYPES_DIR: cannot read folder "${dir}"`]);
  }
  const definitions: EventTypeDefinition[] = [];
  for (const file of files.filter((f) => f.endsWith('.schema.json')).sort()) {
    const name = file.slice(0, -'.schema.json'.length);
    const read = (path: string): unknown => {
      try {
        return JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new ConfigError([`EVENT_TYPES_DIR: ${path}: ${(error as Error).message}`]);
      }
    };
    definitions.push({
      name,
      schema: read(join(dir, file)) as object,
      settings: read(join(dir, `${name}.settings.json`)),
    });
  }
  if (definitions.length === 0) {
    throw new ConfigError([`EVENT_TYPES_DIR: no <type>.schema.json files in "${dir}"`]);
  }
  try {
    return compileEventTypes(definitions);
  } catch (error) {
    throw new ConfigError([`EVENT_TYPES_DIR: ${(error as Error).message}`]);
  }
}
