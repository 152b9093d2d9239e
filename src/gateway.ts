/**
 * Composition root: builds the logger, event types, sink, batcher and app from a `Config`, starts
 * the HTTP server, and knows the order to take them down again. The only place that knows every
 * component; each one gets exactly what it needs.
 *
 * With no Azure target configured it starts the local emulator in-process (loaded with a dynamic
 * import, so an Azure deployment never loads it) and sends there: the rest of the gateway does
 * not know the difference, it only gets a different connection string.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { createRequestListener, type AppDeps } from './app';
import { developmentKeyBanner } from './auth/dev-key';
import { keyReloadMetrics } from './auth/key-reload-metrics';
import { openKeyStore } from './auth/load-key-store';
import { createBatcher } from './batching/batcher';
import { capacityRoute, type SnapshotSource } from './capacity/capacity-route';
import { createIngressMeter, type MeterSnapshot } from './capacity/ingress-meter';
import { bothObservers, meteredBatcher, meteringObserver } from './capacity/metered-batcher';
import type { PartitionMap } from './batching/partition-map';
import { deriveBatchingPolicy } from './batching/batching-policy';
import type { Batcher, BatcherObserver, HubHealth } from './batching/types';
import type { Config, EmulatorTlsSetting, Target } from './config/load-config';
import { listenError } from './config/startup-error';
import { applyServerLimits, serverOptions } from './http/hardening';
import { createRateLimits } from './http/rate-limit';
import { createRedisBudgetStore, type RedisBudgetStore } from './http/rate-limit-store';
import { checkDeadLetterRules, deadLetterTarget } from './ingest/dead-letter-hub';
import { createDeadLetterHealth } from './ingest/dead-letter-health';
import { createBodyBudget } from './ingest/body-budget';
import { loadEventTypes, type EventTypeRegistry } from './ingest/event-types';
import type { MetricsExposition } from './observability/cluster-metrics';
import { createFaultMetrics } from './observability/fault-metrics';
import { createLogger, droppedLogLines, type Logger } from './observability/logger';
import { createMetrics, type GatewayMetrics } from './observability/metrics';
import { startOpsServer, type OpsServer } from './ops/ops-server';
import { openApiRoute } from './ops/openapi-route';
import { createReadiness, type Readiness } from './ops/readiness';
import { createEventHubsSink, type EventHubsTarget } from './sink/event-hubs-sink';
import type { Sink } from './sink/types';
import { tokenIssuerFromConfig } from './tokens/issuer-from-config';

/** What a sink is built from: a connection string, or a namespace with an Azure credential. */
export type SinkTarget = EventHubsTarget;

/** The part of the emulator the gateway uses (emulator/index.ts provides it). */
export interface EmbeddedEmulator {
  readonly connectionString: string;
  /** Its REST send URL, when it runs one (put in publisher-token responses). */
  readonly restUrl?: string | undefined;
  /** Its AMQPS listener, when EMULATOR_TLS_PORT asked for one. */
  readonly tls?: EmbeddedEmulatorTls | undefined;
  close(): Promise<void>;
}

export interface EmbeddedEmulatorTls {
  readonly port: number;
  /** The certificate TLS clients must trust. */
  readonly certPath: string;
  /** Root policy, first hub, on the AMQPS port. */
  readonly connectionString: string;
}

export interface GatewayDeps {
  /** Use this logger instead of creating one from the config. */
  readonly logger?: Logger;
  /** Where the created logger writes (tests capture lines here). */
  readonly logDestination?: DestinationStream;
  readonly eventTypes?: EventTypeRegistry;
  readonly createSink?: (target: SinkTarget) => Sink;
  readonly startEmulator?: (options: {
    host: string;
    port: number;
    hubs?: readonly { name: string; partitionCount: number }[];
    tls?: EmulatorTlsSetting;
  }) => Promise<EmbeddedEmulator>;
  readonly batcherObserver?: BatcherObserver;
  /** Extra fields for createApp (metrics observer, device binding, clock, ids). */
  readonly app?: Partial<Pick<AppDeps, 'ingestObserver' | 'authorizeEvents' | 'now' | 'newId'>>;
  /** Where the local-development banner goes. Default stderr, outside the JSON log stream. */
  readonly printBanner?: (text: string) => void;
  /** Use these metrics instead of a fresh registry. */
  readonly metrics?: GatewayMetrics;
  /** The partition ids to route with (a cluster worker's are agreed with the other workers). */
  readonly partitionMap?: PartitionMap;
  /** Where /v1/capacity's figures come from, given this process's (a cluster worker gathers all). */
  readonly shareCapacity?: (local: () => MeterSnapshot) => SnapshotSource;
  /** What /metrics serves, from the gateway's registry (a cluster worker serves every worker's). */
  readonly exposeMetrics?: (registry: Registry) => MetricsExposition;
  /** How often API_KEYS_FILE's content is checked besides watching its folder (default 1 s). */
  readonly keysPollMs?: number;
}

export interface Gateway {
  /** `http://host:port` to reach the server (loopback when bound to all interfaces). */
  readonly url: string;
  readonly server: Server;
  readonly batcher: Batcher;
  /** The dead-letter hub's batcher, when DEAD_LETTER_EVENTHUB_NAME is set. */
  readonly deadLetterBatcher: Batcher | undefined;
  readonly logger: Logger;
  readonly config: Config;
  /** The embedded emulator when no Azure target is configured. */
  readonly emulator: EmbeddedEmulator | undefined;
  readonly metrics: GatewayMetrics;
  readonly readiness: Readiness;
  /** `http://host:port` of the ops server (/metrics, /healthz, /readyz) when METRICS_PORT is set. */
  readonly opsUrl: string | undefined;
  /** Re-reads API_KEYS_FILE now (SIGHUP); a bad file keeps the keys in force. */
  reloadKeys(reason: string): Promise<void>;
  /**
   * Stops accepting, flushes everything buffered, answers every waiting request, closes the
   * producer (and the embedded emulator). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Time kept back from SHUTDOWN_DEADLINE_MS after the flush, twice: once for closing the producer
 * (the sink bounds its close by the send floor, 1 s) and once for the sockets to take the answers.
 */
const CLOSE_MARGIN_MS = 1000;
/** What is left of the deadline when the last steps are cut short (process exit itself). */
const EXIT_MARGIN_MS = 250;

export async function startGateway(config: Config, deps: GatewayDeps = {}): Promise<Gateway> {
  const logger =
    deps.logger ??
    createLogger({ level: config.log.level, pretty: config.log.pretty, destination: deps.logDestination });
  const eventTypes = deps.eventTypes ?? loadEventTypes(resolve(config.ingest.eventTypesDir));
  const metrics = deps.metrics ?? createMetrics();
  checkDeadLetterRules(eventTypes, config.ingest.deadLetterHub);

  // Secure by default: throws (naming API_KEYS_FILE) outside development without keys. The
  // file's keys stay live: a change (or SIGHUP) is in force within seconds, on every worker.
  const keyStore = openKeyStore({
    file: config.auth.apiKeysFile,
    developmentMode: config.auth.developmentMode,
    logger,
    observer: keyReloadMetrics(metrics.registry),
    ...(deps.keysPollMs === undefined ? {} : { pollMs: deps.keysPollMs }),
  });
  let resolved: Awaited<ReturnType<typeof resolveSinkTarget>>;
  try {
    resolved = await resolveSinkTarget(config.target, deps, logger);
  } catch (error) {
    keyStore.close();
    throw error;
  }
  const { sinkTarget, emulator } = resolved;
  let tokenIssuer: AppDeps['tokenIssuer'];
  try {
    tokenIssuer = tokenIssuerFromConfig(config, emulator);
  } catch (error) {
    keyStore.close();
    await emulator?.close();
    throw error;
  }
  const policy = deriveBatchingPolicy(config);
  const faultMetrics = createFaultMetrics(metrics.registry);
  const sinkOptions = {
    retry: config.batching.retry,
    tryTimeoutMs: policy.sdkAttemptCeilingMs,
    attempts: {
      sendFloorMs: policy.sendAttemptFloorMs,
      setupFloorMs: policy.setupAttemptFloorMs,
      multiplier: policy.attemptTimeoutMultiplier,
    },
    observer: faultMetrics.sinkObserver,
  };
  const makeSink = (target: SinkTarget): Sink =>
    deps.createSink ? deps.createSink(target) : createEventHubsSink(target, sinkOptions);
  const sink = makeSink(sinkTarget);
  const batcherOptions = {
    lingerMs: config.batching.lingerMs,
    // Capped well below the deadline: a held batch must still leave in time for its requests.
    lingerUnderLoadMs: policy.lingerUnderLoadMs,
    maxEventsPerBatch: config.batching.maxEventsPerBatch,
    maxBufferedBytes: config.batching.maxBufferedBytes,
    partitionRefreshMs: config.batching.partitionRefreshMs,
    retry: config.batching.retry,
    maxQueueDelayMs: policy.maxQueueDelayMs,
  };
  // What went into each hub, for /v1/capacity.
  const meter = createIngressMeter();
  const hubName = config.target.eventHubName;
  const batcher = createBatcher({
    ...batcherOptions,
    // The main hub's map only: a dead-letter hub has partitions of its own.
    ...(deps.partitionMap === undefined ? {} : { partitionMap: deps.partitionMap }),
    sink,
    healthIntervalMs: policy.healthIntervalMs,
    observer: bothObservers(
      deps.batcherObserver ?? {
        ...metrics.batcherObserverFor(hubName),
        sendRetried: (partitionId, code) => faultMetrics.sendRetried(partitionId, code),
        hubStateChanged: (health, previous) => logHubState(logger, health, previous),
        partitionMapChanged: (previous, next, handovers) =>
          logger.info(
            { previousPartitionCount: previous.length, partitionCount: next.length, handovers },
            `event hub partition count changed: ${previous.length} → ${next.length}`,
          ),
        handoverFinished: (partitionId, held, ms) => {
          faultMetrics.handoverFinished(partitionId, held, ms);
          logger.info(
            { partitionId, heldReadings: held, waitedMs: Math.round(ms) },
            'partition handover finished: readings of keys that moved are sent to their new partitions',
          );
        },
      },
      meteringObserver(meter, hubName, () => sink.maxMessageSize),
    ),
  });
  faultMetrics.watch(() => batcher.health().partitions);
  faultMetrics.watchDroppedLogLines(droppedLogLines);
  // Readings refused under lenient handling, or diverted by a dead-letter rule, go here as sent.
  // Its own sink and batcher: a dead-letter hub in trouble slows only the requests that use it.
  const deadLetterHub = config.ingest.deadLetterHub;
  // Read at probe time only, once the batcher below exists.
  const deadLetterHealth = createDeadLetterHealth({
    hub: deadLetterHub ?? '',
    logger,
    batcherHealth: () => deadLetterBatcher?.health() ?? { state: 'ok', partitions: [] },
  });
  const deadLetterBatcher =
    deadLetterHub === undefined
      ? undefined
      : createBatcher({
          ...batcherOptions,
          maxBufferedBytes: policy.deadLetterMaxBufferedBytes,
          sink: makeSink(deadLetterTarget(sinkTarget, deadLetterHub)),
          healthIntervalMs: policy.healthIntervalMs,
          observer: bothObservers(
            {
              ...metrics.batcherObserverFor(deadLetterHub),
              hubStateChanged: (health, previous) => logHubState(logger, health, previous, deadLetterHub),
            },
            bothObservers(
              deadLetterHealth.observer,
              meteringObserver(meter, deadLetterHub, () => undefined),
            ),
          ),
        });
  const localSnapshot = (): MeterSnapshot => {
    for (const [hub, b] of [
      [hubName, batcher],
      [deadLetterHub, deadLetterBatcher],
    ] as const)
      if (hub !== undefined && b !== undefined && b.stats.perPartition.size > 0)
        meter.partitions(hub, b.stats.perPartition.size);
    return meter.snapshot();
  };
  const capacity = capacityRoute(
    deps.shareCapacity?.(localSnapshot) ?? (() => Promise.resolve(localSnapshot())),
  );
  const readiness = createReadiness({
    hubReachable: () => batcher.ready,
    hubHealth: () => batcher.health(),
    ...(deadLetterBatcher === undefined || deadLetterHub === undefined
      ? {}
      : { deadLetterHealth: { hub: deadLetterHub, health: () => deadLetterHealth.health() } }),
    bufferedBytes: () => batcher.stats.bufferedBytes,
    maxBufferedBytes: config.batching.maxBufferedBytes,
    highWaterRatio: config.ops.readyHighWaterRatio,
  });
  const sharedBudgets = sharedBudgetStore(config, logger, metrics);
  const exposition = deps.exposeMetrics?.(metrics.registry) ?? metrics.registry;
  const rateLimits = createRateLimits(
    config.security.rateLimit,
    (budget) => metrics.rateLimited(budget),
    sharedBudgets === undefined ? undefined : (budget) => sharedBudgets.storeFor(budget),
    (budget) => metrics.rateLimitUnenforced(budget),
  );
  const listener = createRequestListener({
    config,
    logger,
    batcher: meteredBatcher(batcher, meter, hubName),
    deadLetterBatcher:
      deadLetterBatcher === undefined || deadLetterHub === undefined
        ? undefined
        : meteredBatcher(deadLetterBatcher, meter, deadLetterHub),
    eventTypes,
    keyStore,
    tokenIssuer,
    metrics,
    ingestObserver: metrics,
    readiness,
    rateLimits,
    serveMetrics: config.ops.metricsPort === undefined,
    metricsExposition: exposition,
    capacity,
    openApi: openApiRoute(),
    // Bodies being read and events waiting for the hub share MAX_BUFFERED_BYTES.
    bodyBudget: createBodyBudget({
      maxBytes: config.batching.maxBufferedBytes,
      bufferedBytes: () => batcher.stats.bufferedBytes,
    }),
    ...deps.app,
  });
  // Timeouts are checked on a timer fixed at creation, so they go into createServer's options.
  const server = createServer(serverOptions(config.security.server), listener);
  applyServerLimits(server, config.security.server);

  let ops: OpsServer | undefined;
  try {
    // The ops port first: it answers /readyz 503 ("starting") while the batcher connects.
    if (config.ops.metricsPort !== undefined)
      ops = await startOpsServer({
        port: config.ops.metricsPort,
        host: config.http.host,
        registry: exposition,
        readiness,
        capacity,
      }).catch((error: unknown) => {
        throw listenError(error, 'METRICS_PORT', config.http.host, config.ops.metricsPort ?? 0);
      });
    await batcher.start();
    await deadLetterBatcher?.start();
    await listen(server, config.http.port, config.http.host);
  } catch (error) {
    keyStore.close();
    await batcher.close({ flush: false }).catch(() => undefined);
    await sharedBudgets?.close();
    await deadLetterBatcher?.close({ flush: false }).catch(() => undefined);
    await ops?.close().catch(() => undefined);
    await emulator?.close().catch(() => undefined);
    throw error;
  }
  readiness.markServing();
  meter.begin();
  // Banners only once listening, so a start that fails prints nothing but its one line.
  const printBanner = deps.printBanner ?? ((text: string) => process.stderr.write(text));
  if (emulator !== undefined)
    printBanner(emulatorBanner(emulator.connectionString, emulator.restUrl, emulator.tls));
  if (keyStore.development) printBanner(developmentKeyBanner());
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(address.address)}:${address.port}`;
  logger.info(
    {
      url,
      target: config.target.kind,
      eventHub: config.target.eventHubName,
      deadLetterHub,
      eventTypes: [...eventTypes.keys()],
      opsUrl: ops?.url,
    },
    'gateway listening',
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= shutdown();
    return closing;
  };
  const shutdown = async (): Promise<void> => {
    // /readyz turns 503 at once, so load balancers stop sending before connections are refused.
    readiness.markDraining();
    logger.info('gateway shutting down: no new connections, flushing buffered events');
    // Responses still to come close their connection, so keep-alive clients reconnect elsewhere.
    server.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
    const serverClosed = new Promise<void>((done) => server.close(() => done()));
    server.closeIdleConnections();
    const stopBy = performance.now() + config.shutdownDeadlineMs - EXIT_MARGIN_MS;
    const flushDeadline = Math.max(
      config.shutdownDeadlineMs - 2 * CLOSE_MARGIN_MS,
      config.shutdownDeadlineMs / 2,
    );
    try {
      // Settles every ticket, so every waiting request gets its answer; then closes the producer.
      await Promise.all([
        batcher.close({ flush: true, deadlineMs: flushDeadline }),
        deadLetterBatcher?.close({ flush: true, deadlineMs: flushDeadline }),
      ]);
    } catch (error) {
      logger.error({ err: error }, 'flushing on shutdown failed');
    }
    // Answers are written now; give the sockets a moment to drain, then cut what is left.
    server.closeIdleConnections();
    const graceMs = Math.max(0, Math.min(CLOSE_MARGIN_MS, stopBy - performance.now()));
    const grace = new Promise<void>((done) => setTimeout(done, graceMs).unref());
    await Promise.race([serverClosed, grace]);
    server.closeAllConnections();
    await sharedBudgets?.close();
    await emulator?.close();
    keyStore.close();
    // Last, so probes see "draining" for the whole shutdown.
    await ops?.close();
    logger.info('gateway stopped');
  };

  return {
    url,
    server,
    batcher,
    deadLetterBatcher,
    logger,
    config,
    emulator,
    metrics,
    readiness,
    opsUrl: ops?.url,
    reloadKeys: (reason) => keyStore.reload(reason),
    close,
  };
}

/** The Redis store of the rate-limit budgets when REDIS_URL is set (every budget shares it). */
function sharedBudgetStore(
  config: Config,
  logger: Logger,
  metrics: GatewayMetrics,
): RedisBudgetStore | undefined {
  const redis = config.security.rateLimit.redis;
  if (redis === undefined) return undefined;
  return createRedisBudgetStore({
    url: redis.url,
    timeoutMs: redis.timeoutMs,
    logger,
    observer: {
      storeState: (up) => metrics.rateLimitStoreState(up),
      unenforced: (budget) => metrics.rateLimitUnenforced(budget),
    },
  });
}

async function resolveSinkTarget(
  target: Target,
  deps: GatewayDeps,
  logger: Logger,
): Promise<{ sinkTarget: SinkTarget; emulator: EmbeddedEmulator | undefined }> {
  switch (target.kind) {
    case 'connection-string':
      return {
        sinkTarget: { connectionString: target.connectionString, eventHubName: target.eventHubName },
        emulator: undefined,
      };
    case 'azure-identity': {
      const { DefaultAzureCredential } = await import('@azure/identity');
      return {
        sinkTarget: {
          fullyQualifiedNamespace: target.fullyQualifiedNamespace,
          eventHubName: target.eventHubName,
          credential: new DefaultAzureCredential(),
        },
        emulator: undefined,
      };
    }
    case 'embedded-emulator': {
      const start = deps.startEmulator ?? defaultStartEmulator;
      const emulator = await start({
        host: '127.0.0.1',
        port: target.port,
        hubs: target.hubs,
        ...(target.tls === undefined ? {} : { tls: target.tls }),
      });
      logger.warn(
        { emulatorPort: target.port, eventHub: target.eventHubName },
        'LOCAL DEVELOPMENT MODE: sending to the embedded emulator, not to Azure Event Hubs',
      );
      return {
        sinkTarget: { connectionString: emulator.connectionString, eventHubName: target.eventHubName },
        emulator,
      };
    }
  }
}

/** One line per change of the hub's state: WARN when it gets worse, INFO when it is back. */
/** One line per change of a hub's state; `deadLetterHub` names the dead-letter hub's lines. */
function logHubState(
  logger: Logger,
  health: HubHealth,
  previous: HubHealth['state'],
  deadLetterHub?: string,
): void {
  const partitions = health.partitions
    .filter((p) => p.state !== 'ok')
    .map((p) => ({ partitionId: p.partitionId, state: p.state, reason: p.reason }));
  const fields = {
    hubState: health.state,
    previousHubState: previous,
    reason: health.reason,
    partitions,
    ...(deadLetterHub === undefined ? {} : { hub: deadLetterHub }),
  };
  const what = deadLetterHub === undefined ? 'event hub' : 'dead-letter hub';
  if (health.state === 'ok') logger.info(fields, `${what} state changed: ok`);
  else logger.warn(fields, `${what} state changed: ${health.state} (${health.reason ?? 'unknown'})`);
}

/** The emulator's key is a published development key (emulator/well-known.ts), so it is printed. */
export function emulatorBanner(
  connectionString: string,
  restUrl?: string,
  tls?: EmbeddedEmulatorTls,
): string {
  const line = '='.repeat(78);
  return [
    line,
    '  LOCAL DEVELOPMENT MODE — events go to the embedded Event Hubs emulator, not to Azure.',
    '  Set EVENTHUB_CONNECTION_STRING, or EVENTHUB_FULLY_QUALIFIED_NAMESPACE + EVENTHUB_NAME, for Azure.',
    '  Emulator connection string (well-known development key, protects nothing):',
    `  ${connectionString}`,
    ...(restUrl === undefined ? [] : [`  Emulator REST send API (for publisher tokens): ${restUrl}`]),
    ...(tls === undefined
      ? []
      : [
          `  AMQPS (TLS) on port ${tls.port}, for clients that always use TLS (azure-eventhub for Python):`,
          `  ${tls.connectionString}`,
          `  Certificate to trust (Python: connection_verify=...): ${tls.certPath}`,
        ]),
    line,
    '',
  ].join('\n');
}

export async function defaultStartEmulator(options: {
  host: string;
  port: number;
  hubs?: readonly { name: string; partitionCount: number }[];
  tls?: EmulatorTlsSetting;
}): Promise<EmbeddedEmulator> {
  // A real dynamic import keeps the emulator out of the module graph unless it is needed.
  const { startEmulator } = await import('../emulator/index.js');
  // The REST send API (any free port) is what publisher-scoped tokens are used with.
  const { hubs, ...rest } = options;
  try {
    return await startEmulator({
      ...rest,
      restPort: 0,
      ...(hubs === undefined ? {} : { hubs: hubs.map((h) => ({ ...h })) }),
    });
  } catch (error) {
    throw listenError(error, 'EMULATOR_PORT', options.host, options.port);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    const onError = (error: Error): void => fail(listenError(error, 'PORT', host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      done();
    });
  });
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
