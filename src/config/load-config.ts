/**
 * Environment → validated, frozen, typed `Config`. Pure: it takes the environment as an argument
 * (`main.ts` passes `process.env` once), so tests can feed it any map. Every bad variable is
 * collected before anything is thrown, so an operator fixes a deployment in one round trip.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { parseHubList } from '../../emulator/config';
import type { HubConfig } from '../../emulator/types';
import { DEFAULT_DEAD_LETTER_HUB, DEFAULT_HUB } from '../../emulator/well-known';
import type { ServerLimits } from '../http/hardening';
import type { RateLimitSettings } from '../http/rate-limit';
import { parseTrustProxy, type TrustProxySetting } from '../http/trust-proxy';
import { CONFIG_SCHEMA, CONFIG_VARIABLES, type VariableName, type VariableSpec } from './schema';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type NodeEnv = 'development' | 'production' | 'test';

/** Where events go. The gateway only ever turns this into a sink; `emulator` adds starting one. */
export type Target =
  | { readonly kind: 'connection-string'; readonly connectionString: string; readonly eventHubName: string }
  | {
      readonly kind: 'azure-identity';
      readonly fullyQualifiedNamespace: string;
      readonly eventHubName: string;
    }
  | {
      readonly kind: 'embedded-emulator';
      readonly port: number;
      readonly eventHubName: string;
      /** The emulator's hubs (EMULATOR_HUBS). */
      readonly hubs: readonly HubConfig[];
      /** The emulator's AMQPS listener, when EMULATOR_TLS_PORT is set. */
      readonly tls?: EmulatorTlsSetting;
    };

/** EMULATOR_TLS_*: a port, and either a PEM pair or where the self-signed pair lives. */
export interface EmulatorTlsSetting {
  readonly port: number;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly selfSignedDir?: string;
}

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly maxBodyBytes: number;
    readonly requestDeadlineMs: number;
    readonly maxEventsPerRequest: number;
    readonly maxInflationRatio: number;
  };
  readonly target: Target;
  readonly batching: {
    readonly lingerMs: number;
    readonly lingerUnderLoadMs: number;
    readonly maxEventsPerBatch: number;
    readonly maxBufferedBytes: number;
    readonly partitionRefreshMs: number;
    readonly retry: { readonly maxRetries: number; readonly delayMs: number; readonly maxDelayMs: number };
  };
  readonly ingest: {
    readonly eventTypesDir: string;
    readonly messageIdField: string;
    /** DEAD_LETTER_EVENTHUB_NAME (for the embedded emulator, `dead-letter` when it has that hub). */
    readonly deadLetterHub: string | undefined;
  };
  readonly log: { readonly level: LogLevel; readonly pretty: boolean };
  readonly shutdownDeadlineMs: number;
  /** Gateway processes (WORKERS): 1 = no cluster; `auto` = one per core, resolved at start. */
  readonly workers: number | 'auto';
  readonly security: {
    readonly trustProxy: TrustProxySetting;
    readonly rateLimit: RateLimitSettings;
    readonly server: Required<ServerLimits>;
  };
  /** `metricsPort` undefined: /metrics is served on the public port. */
  readonly ops: { readonly metricsPort: number | undefined; readonly readyHighWaterRatio: number };
  readonly auth: {
    readonly apiKeysFile: string | undefined;
    /**
     * Not production, and the target is an emulator (embedded, or a connection string with
     * UseDevelopmentEmulator=true): the only case in which the development key is accepted.
     */
    readonly developmentMode: boolean;
  };
  readonly tokens: {
    readonly sendPolicy: SasPolicySetting | undefined;
    readonly listenPolicy: SasPolicySetting | undefined;
    readonly defaultTtlSeconds: number;
    readonly maxTtlSeconds: number;
    readonly restUrl: string | undefined;
  };
}

/** A SAS policy that signs partner tokens (name and key from the environment). */
export interface SasPolicySetting {
  readonly name: string;
  readonly key: string;
}

/** Thrown with every problem found; `message` is the one line the operator reads. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true });
const validateEnv = ajv.compile(CONFIG_SCHEMA);

type Values = {
  [K in VariableName]: (typeof CONFIG_VARIABLES)[K] extends { type: 'integer' } ? number : string;
};

/** Reads, validates and freezes the configuration; throws `ConfigError` listing every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // Only our variables, and an empty value means "unset" (the usual reading of `FOO=` in .env files).
  const raw: Record<string, string> = {};
  for (const name of Object.keys(CONFIG_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  const data: Record<string, unknown> = { ...raw };
  const problems: string[] = [];
  if (!validateEnv(data)) {
    for (const error of validateEnv.errors ?? []) problems.push(describe(error, raw));
  }
  const values = data as Values;
  // Cross-variable rules run even when single variables failed, so one run reports everything.
  const target = resolveTarget(values, raw, problems);
  productionChecks(values, raw, target, problems);
  const delay = values.SEND_RETRY_DELAY_MS;
  const maxDelay = values.SEND_RETRY_MAX_DELAY_MS;
  if (typeof delay === 'number' && typeof maxDelay === 'number' && maxDelay < delay) {
    problems.push(`SEND_RETRY_MAX_DELAY_MS: must be >= SEND_RETRY_DELAY_MS (${delay}), got ${maxDelay}`);
  }
  const trustProxy = securityChecks(values, raw, problems);
  tokenChecks(values, raw, problems);
  const deadLetterHub = deadLetterChecks(raw, target, problems);
  if (problems.length === 0 && target !== undefined)
    return deepFreeze(toConfig(values, target, trustProxy, deadLetterHub));
  throw new ConfigError(problems);
}

function describe(error: ErrorObject, raw: Record<string, string>): string {
  const name = error.instancePath.slice(1);
  const spec = (CONFIG_VARIABLES as Record<string, VariableSpec>)[name];
  const got = spec?.secret === true ? '' : ` (got ${JSON.stringify(raw[name])})`;
  let what = error.message ?? 'is invalid';
  if (error.keyword === 'enum') what = `must be one of ${(spec?.enum ?? []).join(', ')}`;
  if (error.keyword === 'pattern') what = 'has an invalid format';
  return `${name}: ${what}${got}`;
}

function resolveTarget(values: Values, raw: Record<string, string>, problems: string[]): Target | undefined {
  const connectionString = raw.EVENTHUB_CONNECTION_STRING;
  const namespace = raw.EVENTHUB_FULLY_QUALIFIED_NAMESPACE;
  const hub = raw.EVENTHUB_NAME;
  if (connectionString !== undefined && namespace !== undefined) {
    problems.push(
      'EVENTHUB_CONNECTION_STRING: set either it or EVENTHUB_FULLY_QUALIFIED_NAMESPACE, not both',
    );
    return undefined;
  }
  if (connectionString !== undefined) {
    const parts = parseConnectionString(connectionString);
    const hasKey = parts.SharedAccessKeyName !== undefined && parts.SharedAccessKey !== undefined;
    const hasSas = parts.SharedAccessSignature !== undefined;
    if (parts.Endpoint === undefined || !/^sb:\/\/[^/]+\/?$/.test(parts.Endpoint) || hasKey === hasSas) {
      problems.push(
        'EVENTHUB_CONNECTION_STRING: must be Endpoint=sb://<host>/;SharedAccessKeyName=...;SharedAccessKey=... (or SharedAccessSignature=...)',
      );
      return undefined;
    }
    const entityPath = parts.EntityPath;
    if (entityPath !== undefined && hub !== undefined && entityPath !== hub) {
      problems.push(`EVENTHUB_NAME: "${hub}" differs from the connection string's EntityPath`);
      return undefined;
    }
    const eventHubName = hub ?? entityPath;
    if (eventHubName === undefined) {
      problems.push('EVENTHUB_NAME: required when the connection string has no EntityPath');
      return undefined;
    }
    noEmulatorTls(raw, 'EVENTHUB_CONNECTION_STRING', problems);
    return { kind: 'connection-string', connectionString, eventHubName };
  }
  if (namespace !== undefined) {
    if (hub === undefined) {
      problems.push('EVENTHUB_NAME: required with EVENTHUB_FULLY_QUALIFIED_NAMESPACE');
      return undefined;
    }
    noEmulatorTls(raw, 'EVENTHUB_FULLY_QUALIFIED_NAMESPACE', problems);
    return { kind: 'azure-identity', fullyQualifiedNamespace: namespace, eventHubName: hub };
  }
  let hubs: HubConfig[];
  try {
    hubs = parseHubList(values.EMULATOR_HUBS);
  } catch (error) {
    problems.push((error as Error).message);
    return undefined;
  }
  const eventHubName = hub ?? DEFAULT_HUB;
  if (!hubs.some((h) => h.name.toLowerCase() === eventHubName.toLowerCase())) {
    problems.push(`EVENTHUB_NAME: "${eventHubName}" is not one of EMULATOR_HUBS (${values.EMULATOR_HUBS})`);
    return undefined;
  }
  const tls = emulatorTls(values, raw, problems);
  return {
    kind: 'embedded-emulator',
    port: values.EMULATOR_PORT,
    eventHubName,
    hubs,
    ...(tls === undefined ? {} : { tls }),
  };
}

const EMULATOR_TLS_NAMES = [
  'EMULATOR_TLS_PORT',
  'EMULATOR_TLS_CERT',
  'EMULATOR_TLS_KEY',
  'EMULATOR_TLS_DIR',
] as const;

/** EMULATOR_TLS_* next to an Azure target would silently do nothing: refuse it. */
function noEmulatorTls(raw: Record<string, string>, target: string, problems: string[]): void {
  for (const name of EMULATOR_TLS_NAMES)
    if (raw[name] !== undefined)
      problems.push(`${name}: only for the embedded emulator; unset it with ${target}`);
}

function emulatorTls(
  values: Values,
  raw: Record<string, string>,
  problems: string[],
): EmulatorTlsSetting | undefined {
  const certFile = raw.EMULATOR_TLS_CERT;
  const keyFile = raw.EMULATOR_TLS_KEY;
  const selfSignedDir = raw.EMULATOR_TLS_DIR;
  if (raw.EMULATOR_TLS_PORT === undefined) {
    for (const name of EMULATOR_TLS_NAMES.slice(1))
      if (raw[name] !== undefined) problems.push(`${name}: needs EMULATOR_TLS_PORT`);
    return undefined;
  }
  if ((certFile === undefined) !== (keyFile === undefined))
    problems.push('EMULATOR_TLS_CERT and EMULATOR_TLS_KEY: set both or neither');
  if (selfSignedDir !== undefined && certFile !== undefined)
    problems.push('EMULATOR_TLS_DIR: only for the self-signed certificate; it contradicts EMULATOR_TLS_CERT');
  const port = (values as Partial<Values>).EMULATOR_TLS_PORT;
  if (typeof port !== 'number') return undefined; // the schema has reported it
  return {
    port,
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(selfSignedDir === undefined ? {} : { selfSignedDir }),
  };
}

/** The dead-letter hub: never the event hub itself; for the embedded emulator, one of its hubs. */
function deadLetterChecks(
  raw: Record<string, string>,
  target: Target | undefined,
  problems: string[],
): string | undefined {
  const named = raw.DEAD_LETTER_EVENTHUB_NAME;
  if (target === undefined) return named;
  const emulatorHubs = target.kind === 'embedded-emulator' ? target.hubs : undefined;
  const has = (name: string): boolean =>
    emulatorHubs?.some((h) => h.name.toLowerCase() === name.toLowerCase()) ?? false;
  if (named === undefined) {
    // The development default has one, so lenient handling can be tried with `npm start` alone.
    return emulatorHubs !== undefined && has(DEFAULT_DEAD_LETTER_HUB) ? DEFAULT_DEAD_LETTER_HUB : undefined;
  }
  if (named.toLowerCase() === target.eventHubName.toLowerCase())
    problems.push(`DEAD_LETTER_EVENTHUB_NAME: must differ from the event hub ("${target.eventHubName}")`);
  else if (emulatorHubs !== undefined && !has(named))
    problems.push(`DEAD_LETTER_EVENTHUB_NAME: "${named}" is not one of EMULATOR_HUBS`);
  return named;
}

/** `Key=Value;Key=Value` → map. Values may contain `=` (base64 keys), so split on the first one. */
export function parseConnectionString(connectionString: string): Record<string, string | undefined> {
  const parts: Record<string, string> = {};
  for (const segment of connectionString.split(';')) {
    const at = segment.indexOf('=');
    if (at > 0) parts[segment.slice(0, at).trim()] = segment.slice(at + 1).trim();
  }
  return parts;
}

/** TRUST_PROXY parsed, and the cross-variable rules of the security and ops settings. */
function securityChecks(values: Values, raw: Record<string, string>, problems: string[]): TrustProxySetting {
  let trustProxy: TrustProxySetting = false;
  try {
    trustProxy = parseTrustProxy(raw.TRUST_PROXY);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const headers = values.HEADERS_TIMEOUT_MS;
  const request = values.REQUEST_TIMEOUT_MS;
  if (typeof headers === 'number' && typeof request === 'number' && request < headers)
    problems.push(`REQUEST_TIMEOUT_MS: must be >= HEADERS_TIMEOUT_MS (${headers}), got ${request}`);
  if (raw.METRICS_PORT !== undefined && values.METRICS_PORT !== 0 && values.METRICS_PORT === values.PORT)
    problems.push(`METRICS_PORT: must differ from PORT (${values.PORT})`);
  return trustProxy;
}

/** SAS policies come as name + key pairs; the signing policy is never the gateway's own. */
function tokenChecks(values: Values, raw: Record<string, string>, problems: string[]): void {
  for (const prefix of ['SAS_SEND_KEY', 'SAS_LISTEN_KEY'] as const) {
    if ((raw[`${prefix}_NAME`] === undefined) !== (raw[prefix] === undefined))
      problems.push(`${prefix}_NAME and ${prefix}: set both or neither`);
  }
  const own =
    raw.EVENTHUB_CONNECTION_STRING &&
    parseConnectionString(raw.EVENTHUB_CONNECTION_STRING).SharedAccessKeyName;
  if (own && raw.SAS_SEND_KEY_NAME === own)
    problems.push(
      'SAS_SEND_KEY_NAME: use a dedicated Send-only policy, not the connection string’s own policy',
    );
  if (own && raw.SAS_LISTEN_KEY_NAME === own)
    problems.push(
      'SAS_LISTEN_KEY_NAME: use a dedicated Listen-only policy, not the connection string’s own policy',
    );
  const ttl = values.TOKEN_DEFAULT_TTL_SECONDS;
  const maxTtl = values.TOKEN_MAX_TTL_SECONDS;
  if (typeof ttl === 'number' && typeof maxTtl === 'number' && ttl > maxTtl)
    problems.push(`TOKEN_DEFAULT_TTL_SECONDS: must be <= TOKEN_MAX_TTL_SECONDS (${maxTtl}), got ${ttl}`);
}

/**
 * Production fails closed: it never runs the embedded emulator (readings would live in memory and
 * vanish at the next restart while /readyz says ready) and never accepts the published
 * development key, whatever the connection string says, so it always needs a key file.
 */
function productionChecks(
  values: Values,
  raw: Record<string, string>,
  target: Target | undefined,
  problems: string[],
): void {
  if (values.NODE_ENV !== 'production') return;
  if (target?.kind === 'embedded-emulator')
    problems.push(
      'EVENTHUB_CONNECTION_STRING or EVENTHUB_FULLY_QUALIFIED_NAMESPACE: required with NODE_ENV=production (the embedded emulator runs only in development)',
    );
  if (raw.API_KEYS_FILE === undefined)
    problems.push(
      'API_KEYS_FILE: required with NODE_ENV=production (the development key is never accepted in production)',
    );
}

/** Development and test bind loopback unless HOST says otherwise; production binds every interface. */
function defaultHost(nodeEnv: string): string {
  return nodeEnv === 'production' ? '0.0.0.0' : '127.0.0.1';
}

function isDevelopmentTarget(target: Target): boolean {
  if (target.kind === 'embedded-emulator') return true;
  // The flag switches the SDK to plain AMQP, which no Azure namespace accepts: it marks an emulator.
  return (
    target.kind === 'connection-string' &&
    parseConnectionString(target.connectionString).UseDevelopmentEmulator === 'true'
  );
}

function toConfig(
  v: Values,
  target: Target,
  trustProxy: TrustProxySetting,
  deadLetterHub: string | undefined,
): Config {
  return {
    nodeEnv: v.NODE_ENV as NodeEnv,
    http: {
      port: v.PORT,
      host: (v as Partial<Values>).HOST ?? defaultHost(v.NODE_ENV),
      maxBodyBytes: v.MAX_BODY_BYTES,
      requestDeadlineMs: v.REQUEST_DEADLINE_MS,
      maxEventsPerRequest: v.MAX_EVENTS_PER_REQUEST,
      maxInflationRatio: v.MAX_INFLATION_RATIO,
    },
    target,
    batching: {
      lingerMs: v.LINGER_MS,
      lingerUnderLoadMs: v.LINGER_UNDER_LOAD_MS,
      maxEventsPerBatch: v.MAX_EVENTS_PER_BATCH,
      maxBufferedBytes: v.MAX_BUFFERED_BYTES,
      partitionRefreshMs: v.PARTITION_REFRESH_MS,
      retry: {
        maxRetries: v.SEND_MAX_RETRIES,
        delayMs: v.SEND_RETRY_DELAY_MS,
        maxDelayMs: v.SEND_RETRY_MAX_DELAY_MS,
      },
    },
    ingest: { eventTypesDir: v.EVENT_TYPES_DIR, messageIdField: v.MESSAGE_ID_FIELD, deadLetterHub },
    log: { level: v.LOG_LEVEL as LogLevel, pretty: v.NODE_ENV === 'development' },
    shutdownDeadlineMs: v.SHUTDOWN_DEADLINE_MS,
    workers: v.WORKERS === 'auto' ? 'auto' : Number(v.WORKERS),
    security: {
      trustProxy,
      rateLimit: {
        windowMs: v.RATE_LIMIT_WINDOW_MS,
        eventsPerMinute: v.RATE_LIMIT_EVENTS_PER_MINUTE,
        tokensPerMinute: v.RATE_LIMIT_TOKENS_PER_MINUTE,
        authFailuresPerMinute: v.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
        redis:
          (v as Partial<Values>).REDIS_URL === undefined
            ? undefined
            : { url: v.REDIS_URL, timeoutMs: v.REDIS_TIMEOUT_MS },
      },
      server: {
        headersTimeoutMs: v.HEADERS_TIMEOUT_MS,
        requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: v.KEEP_ALIVE_TIMEOUT_MS,
        maxConnections: v.MAX_CONNECTIONS,
        maxHeaderSize: 16_384,
      },
    },
    ops: {
      metricsPort: (v as Partial<Values>).METRICS_PORT,
      readyHighWaterRatio: v.READY_HIGH_WATER_PERCENT / 100,
    },
    auth: {
      apiKeysFile: (v as Partial<Values>).API_KEYS_FILE,
      developmentMode: v.NODE_ENV !== 'production' && isDevelopmentTarget(target),
    },
    tokens: {
      sendPolicy: v.SAS_SEND_KEY_NAME ? { name: v.SAS_SEND_KEY_NAME, key: v.SAS_SEND_KEY } : undefined,
      listenPolicy: v.SAS_LISTEN_KEY_NAME
        ? { name: v.SAS_LISTEN_KEY_NAME, key: v.SAS_LISTEN_KEY }
        : undefined,
      defaultTtlSeconds: v.TOKEN_DEFAULT_TTL_SECONDS,
      maxTtlSeconds: v.TOKEN_MAX_TTL_SECONDS,
      restUrl: (v as Partial<Values>).EVENTHUB_REST_URL,
    },
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
