/**
 * The one schema of the gateway's environment variables: type, bounds, default and a one-line
 * description per variable. `load-config.ts` validates `process.env` against it, `.env.example`
 * and the README's table are checked against it by a test, so the three cannot drift apart.
 *
 * Adding a variable: add it here (with `default` when it has one, `secret: true` when its value
 * must never be printed), map it in `load-config.ts`, and add a line to `.env.example`.
 */

/** One environment variable. `type` is what the string is coerced to before validation. */
export interface VariableSpec {
  readonly type: 'integer' | 'string';
  readonly description: string;
  readonly default?: number | string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  /** Never echo the value in errors or logs (keys, connection strings). */
  readonly secret?: boolean;
}

const MIB = 1024 * 1024;

export const CONFIG_VARIABLES = {
  PORT: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    default: 8080,
    description: 'HTTP port the gateway listens on (0 = any free port).',
  },
  HOST: {
    type: 'string',
    minLength: 1,
    description:
      'Interface the HTTP server binds to. Unset: 127.0.0.1 (loopback only) in development and test, 0.0.0.0 in production.',
  },
  EVENTHUB_CONNECTION_STRING: {
    type: 'string',
    minLength: 1,
    secret: true,
    description:
      'Event Hubs connection string (Endpoint=...;SharedAccessKeyName=...;SharedAccessKey=...[;EntityPath=hub]).',
  },
  EVENTHUB_FULLY_QUALIFIED_NAMESPACE: {
    type: 'string',
    pattern: '^[A-Za-z0-9.-]+$',
    description:
      'Namespace host (e.g. my-ns.servicebus.windows.net); authenticates with DefaultAzureCredential. Needs EVENTHUB_NAME.',
  },
  EVENTHUB_NAME: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description:
      'Event hub to send to. Required with EVENTHUB_FULLY_QUALIFIED_NAMESPACE; with a connection string it replaces EntityPath; the embedded emulator uses telemetry.',
  },
  EMULATOR_PORT: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    default: 5672,
    description: 'AMQP port of the embedded emulator, used when no Azure target is configured.',
  },
  // --- The embedded emulator's optional AMQPS listener, for clients that always use TLS ---
  EMULATOR_TLS_PORT: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    description:
      'AMQPS (TLS) port of the embedded emulator, besides EMULATOR_PORT; unset = none. azure-eventhub for Python 5.11 only connects to 5671.',
  },
  EMULATOR_TLS_CERT: {
    type: 'string',
    minLength: 1,
    description:
      "PEM certificate of the embedded emulator's AMQPS listener, with EMULATOR_TLS_KEY; unset = a self-signed one.",
  },
  EMULATOR_TLS_KEY: {
    type: 'string',
    minLength: 1,
    description: 'PEM private key of EMULATOR_TLS_CERT.',
  },
  EMULATOR_TLS_DIR: {
    type: 'string',
    minLength: 1,
    description:
      'Where the self-signed AMQPS certificate is made and reused across starts (default <tmpdir>/eventhubs-emulator-tls).',
  },
  // --- end AMQPS listener ---
  LINGER_MS: {
    type: 'integer',
    minimum: 0,
    maximum: 60000,
    default: 1,
    description: 'How long a partially filled batch waits for more events before it is sent.',
  },
  LINGER_UNDER_LOAD_MS: {
    type: 'integer',
    minimum: 0,
    maximum: 60000,
    default: 500,
    description:
      'While the event loop is saturated, how long a partial batch may keep filling (from its first event) before it is sent; 0 = never past LINGER_MS. Capped at a quarter of REQUEST_DEADLINE_MS.',
  },
  MAX_EVENTS_PER_BATCH: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 5000,
    description: 'Count cap of one batch (batches are also bounded by the hub’s max message size).',
  },
  MAX_BUFFERED_BYTES: {
    type: 'integer',
    minimum: 1,
    default: 64 * MIB,
    description: 'Cap on event bytes held in memory; past it requests get 503 with Retry-After.',
  },
  REQUEST_DEADLINE_MS: {
    type: 'integer',
    minimum: 1,
    default: 10000,
    description:
      'How long a request waits for Event Hubs to acknowledge its events before it gets 503 (events not yet sent are withdrawn).',
  },
  SEND_MAX_RETRIES: {
    type: 'integer',
    minimum: 0,
    maximum: 100,
    default: 3,
    description: 'Retries of a failed batch send on transient errors.',
  },
  SEND_RETRY_DELAY_MS: {
    type: 'integer',
    minimum: 0,
    default: 100,
    description: 'First retry delay of a batch send (exponential backoff).',
  },
  SEND_RETRY_MAX_DELAY_MS: {
    type: 'integer',
    minimum: 0,
    default: 2000,
    description: 'Upper bound of the retry delay.',
  },
  MAX_BODY_BYTES: {
    type: 'integer',
    minimum: 1,
    default: 1 * MIB,
    description: 'Largest request body accepted, checked on the wire and again after gunzip.',
  },
  // Bounded work per request: refused before the readings are parsed.
  MAX_EVENTS_PER_REQUEST: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 1000,
    description:
      'Readings one request may carry (array elements or NDJSON lines), counted before any is parsed; past it 413.',
  },
  MAX_INFLATION_RATIO: {
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    default: 200,
    description:
      'How many times its compressed size a gzip body may inflate to (telemetry compresses 5-50x); past it 413.',
  },
  LOG_LEVEL: {
    type: 'string',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'pino log level.',
  },
  NODE_ENV: {
    type: 'string',
    enum: ['development', 'production', 'test'],
    default: 'development',
    description:
      'development = pretty logs; production and test = JSON lines. production also requires an Event Hubs target (never the embedded emulator) and API_KEYS_FILE (never the development key).',
  },
  SHUTDOWN_DEADLINE_MS: {
    type: 'integer',
    minimum: 1,
    default: 20000,
    description:
      'On SIGTERM/SIGINT, time allowed to flush and answer waiting requests before exit is forced.',
  },
  WORKERS: {
    type: 'string',
    pattern: '^(auto|[1-9][0-9]{0,2})$',
    default: '1',
    description:
      'Processes serving the port (node:cluster), each with its own producer and batcher: an integer, or auto for one per core. Rate-limit budgets are per process unless REDIS_URL is set.',
  },
  PARTITION_REFRESH_MS: {
    type: 'integer',
    minimum: 100,
    default: 10000,
    description: 'How often the hub’s partition ids are re-read.',
  },
  EVENT_TYPES_DIR: {
    type: 'string',
    minLength: 1,
    default: 'schemas',
    description:
      'Folder of event types: <type>.schema.json + <type>.settings.json pairs (relative to the working directory).',
  },
  MESSAGE_ID_FIELD: {
    type: 'string',
    pattern: '^[^/~]{1,128}$',
    default: 'message_id',
    description:
      'Top-level event field whose value becomes the Event Hubs message id; when absent a UUID is generated.',
  },
  TRUST_PROXY: {
    type: 'string',
    default: 'false',
    description:
      'Which proxies to believe in X-Forwarded-For (decides the client IP, so whose rate-limit budget a request spends): false, a hop count, or addresses/CIDRs/loopback. Wrong settings make every client share one budget (too little) or let clients forge their IP (true, refused).',
  },
  RATE_LIMIT_WINDOW_MS: {
    type: 'integer',
    minimum: 1000,
    maximum: 3600000,
    default: 60000,
    description:
      'Length of the rate-limit window; the per-minute budgets are scaled to it. Budgets are per process unless REDIS_URL is set.',
  },
  RATE_LIMIT_EVENTS_PER_MINUTE: {
    type: 'integer',
    minimum: 0,
    default: 6000,
    description:
      'Readings per minute each API key may send to POST /v1/events/{type}; every request counts at least one (0 = unlimited).',
  },
  RATE_LIMIT_TOKENS_PER_MINUTE: {
    type: 'integer',
    minimum: 0,
    default: 60,
    description: 'Requests per minute each API key may make to POST /v1/tokens (0 = unlimited).',
  },
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: {
    type: 'integer',
    minimum: 0,
    default: 30,
    description: 'Failed authentications (401) per minute per client IP before it gets 429 (0 = unlimited).',
  },
  HEADERS_TIMEOUT_MS: {
    type: 'integer',
    minimum: 100,
    default: 10000,
    description:
      'Time a client has to send the complete request headers (slow-header clients are cut off with 408).',
  },
  REQUEST_TIMEOUT_MS: {
    type: 'integer',
    minimum: 100,
    default: 30000,
    description: 'Time a client has to send the complete request, headers and body (>= HEADERS_TIMEOUT_MS).',
  },
  KEEP_ALIVE_TIMEOUT_MS: {
    type: 'integer',
    minimum: 0,
    default: 5000,
    description:
      'How long an idle keep-alive connection stays open; behind a load balancer, set above its idle timeout.',
  },
  MAX_CONNECTIONS: {
    type: 'integer',
    minimum: 0,
    default: 4096,
    description:
      'Cap on concurrent connections; further connections are closed on accept (0 = no cap; mind ulimit -n).',
  },
  METRICS_PORT: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    description:
      'When set, /metrics, /healthz and /readyz are served on this port (0 = any free port) and /metrics leaves the public port.',
  },
  READY_HIGH_WATER_PERCENT: {
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 80,
    description: '/readyz answers 503 while buffered bytes are above this percentage of MAX_BUFFERED_BYTES.',
  },
  API_KEYS_FILE: {
    type: 'string',
    minLength: 1,
    description:
      'JSON file of API keys (SHA-256 hashes, scopes, event types, sensors; see `npm run keys`), re-read when it changes and on SIGHUP. Required in production and whenever the target is not an emulator; without it, development against an emulator accepts the well-known development key.',
  },
  SAS_SEND_KEY_NAME: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description:
      'Send-only SAS policy that signs partner send tokens (POST /v1/tokens); never the gateway’s own policy. Emulator default: gateway-send.',
  },
  SAS_SEND_KEY: {
    type: 'string',
    minLength: 1,
    secret: true,
    description: 'Key of SAS_SEND_KEY_NAME.',
  },
  SAS_LISTEN_KEY_NAME: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: 'Listen-only SAS policy that signs partner listen tokens. Emulator default: gateway-listen.',
  },
  SAS_LISTEN_KEY: {
    type: 'string',
    minLength: 1,
    secret: true,
    description: 'Key of SAS_LISTEN_KEY_NAME.',
  },
  TOKEN_DEFAULT_TTL_SECONDS: {
    type: 'integer',
    minimum: 1,
    default: 900,
    description: 'Lifetime of a SAS token when the request names no ttlSeconds.',
  },
  TOKEN_MAX_TTL_SECONDS: {
    type: 'integer',
    minimum: 1,
    maximum: 86400,
    default: 3600,
    description: 'Longest SAS token lifetime a request may ask for; above it the request gets 400.',
  },
  EVENTHUB_REST_URL: {
    type: 'string',
    pattern: '^https?://[^/?#]+/?$',
    description:
      'Base URL of the Event Hubs REST API put in publisher-token responses (default https://<namespace host>; for the emulator its REST port).',
  },
  // Shared state of a fleet (replicas × workers).
  REDIS_URL: {
    type: 'string',
    pattern: '^rediss?://[^\\s]+$',
    secret: true,
    description:
      'Redis that holds the rate-limit budgets, shared by every replica and worker (redis://[user:password@]host:port[/db], rediss:// for TLS). Unset: budgets are counted per process. While it is unreachable requests pass uncounted (fail open).',
  },
  REDIS_TIMEOUT_MS: {
    type: 'integer',
    minimum: 10,
    maximum: 10000,
    default: 250,
    description:
      'Bound on connecting to REDIS_URL and on each budget check there; past it the request passes uncounted.',
  },
  // ---- dead letters and the embedded emulator's hubs -------------------------------------------
  DEAD_LETTER_EVENTHUB_NAME: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description:
      'Event hub of the same namespace that gets readings refused under Prefer: handling=lenient and readings a dead-letter rule diverts, as sent. Unset: refused readings are only reported. Embedded emulator default: dead-letter.',
  },
  EMULATOR_HUBS: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]+)?(,[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]+)?)*$',
    default: 'telemetry:4,dead-letter:2',
    description:
      'Hubs of the embedded emulator as name:partitions, comma separated (used when no Azure target is configured; npm run emulator reads it too).',
  },
} as const satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof CONFIG_VARIABLES;

/**
 * The same variables as one JSON Schema object (what ajv validates the coerced environment
 * against). `secret` is ours, not JSON Schema, so it is left out.
 */
export const CONFIG_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(CONFIG_VARIABLES as Record<string, VariableSpec>).map(([name, spec]) => {
      const { secret: _secret, ...jsonSchema } = spec;
      return [name, jsonSchema];
    }),
  ),
  additionalProperties: true,
} as const;
