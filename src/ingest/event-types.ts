/**
 * Event types: each is a JSON Schema (`<type>.schema.json`) plus its settings
 * (`<type>.settings.json`: partition-key pointer, schema version, and optionally how to treat late
 * and future readings) in EVENT_TYPES_DIR. All are read and compiled once at start-up, so a request
 * only runs an already compiled validator; a bad file stops the start with its name rather than
 * failing the first request. The schema file's text is kept to serve it as written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ConfigError } from '../config/load-config';
import {
  compileEventTime,
  EVENT_TIME_SETTINGS_SCHEMA,
  type EventTimeRules,
  type EventTimeSettings,
} from './event-time';
import { parsePointer } from './json-pointer';

export interface EventTypeSettings {
  /** RFC 6901 pointer to the partition key inside each event, e.g. `/sensor_id`. */
  readonly partitionKey: string;
  /** Sent with every event as the `schemaVersion` application property. */
  readonly schemaVersion: string;
  readonly description?: string;
  /** Where each reading's time is and what to do with late and future ones (absent: nothing). */
  readonly eventTime?: EventTimeSettings;
}

export interface EventType {
  readonly name: string;
  readonly settings: EventTypeSettings;
  readonly partitionKeyPath: readonly string[];
  readonly validate: ValidateFunction;
  /** The JSON Schema as written in its file (or serialised, for a definition given as an object). */
  readonly schemaText: string;
  /** Compiled `settings.eventTime`; undefined when the type has none (today's behaviour). */
  readonly eventTime: EventTimeRules | undefined;
}

export type EventTypeRegistry = ReadonlyMap<string, EventType>;

export interface EventTypeDefinition {
  readonly name: string;
  readonly schema: object;
  readonly settings: unknown;
  /** The schema file's text, when it came from one. */
  readonly schemaText?: string;
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
    eventTime: EVENT_TIME_SETTINGS_SCHEMA,
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
  for (const { name, schema, settings, schemaText } of definitions) {
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
    let eventTime: EventTimeRules | undefined;
    try {
      eventTime = settings.eventTime === undefined ? undefined : compileEventTime(settings.eventTime);
    } catch (error) {
      throw new Error(`event type "${name}": settings ${(error as Error).message}`);
    }
    registry.set(name, {
      name,
      settings: Object.freeze({ ...settings }),
      partitionKeyPath: Object.freeze(parsePointer(settings.partitionKey)),
      validate,
      schemaText: schemaText ?? JSON.stringify(schema, null, 2),
      eventTime,
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
    const readText = (path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new ConfigError([`EVENT_TYPES_DIR: ${path}: ${(error as Error).message}`]);
      }
    };
    const parse = (path: string, text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new ConfigError([`EVENT_TYPES_DIR: ${path}: ${(error as Error).message}`]);
      }
    };
    const schemaPath = join(dir, file);
    const settingsPath = join(dir, `${name}.settings.json`);
    const schemaText = readText(schemaPath);
    definitions.push({
      name,
      schema: parse(schemaPath, schemaText) as object,
      settings: parse(settingsPath, readText(settingsPath)),
      schemaText,
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
