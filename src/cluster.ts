/**
 * `WORKERS` > 1: the gateway as a node:cluster. The primary serves nothing itself; it forks the
 * workers (each a whole gateway: its own server on the shared port, producer and batcher), replaces
 * a worker that dies unexpectedly, and on SIGTERM/SIGINT asks every worker to drain (each stops
 * accepting, flushes, answers its waiting requests and exits 0) before it exits 0 itself.
 *
 * In development mode (no Azure target) the embedded emulator runs once, here in the primary, and
 * the workers send to it through its connection string, so every worker sees the same hub.
 *
 * Signals: SIGTERM to the primary, Ctrl-C (SIGINT to the whole process group) and SIGTERM to
 * every process at once all end in one drain and exit 0. A worker never counts a signal as a
 * "second signal": the terminal's Ctrl-C reaches it as well as the primary, so only a signal that
 * reaches the primary after its drain began forces exit.
 *
 * SIGHUP is forwarded to every worker (each re-reads API_KEYS_FILE itself).
 *
 * Worker protocol: the primary sends `{ type: 'shutdown' }`; a worker treats it like SIGTERM.
 * `/metrics` on any worker shows every worker merged (observability/cluster-metrics.ts), and the
 * workers route with one partition map (cluster-partition-map.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from './config/load-config';
import { defaultStartEmulator, emulatorBanner, type EmbeddedEmulator, type GatewayDeps } from './gateway';
import { clusterCapacitySource, createCapacityPrimary } from './capacity/cluster-capacity';
import { clusterPartitionMap, createPartitionMapPrimary } from './cluster-partition-map';
import { clusterMetricsExposition, createClusterMetricsPrimary } from './observability/cluster-metrics';
import { createLogger, type Logger } from './observability/logger';

export const SHUTDOWN_MESSAGE = Object.freeze({ type: 'shutdown' });

/** Extra time past SHUTDOWN_DEADLINE_MS the primary gives its workers before killing them. */
const PRIMARY_MARGIN_MS = 2000;

/** `WORKERS` as a process count: `auto` is one per core. */
export function workerCount(workers: Config['workers'], cores: number = availableParallelism()): number {
  return workers === 'auto' ? Math.max(1, cores) : workers;
}

export function isShutdownMessage(message: unknown): boolean {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'shutdown'
  );
}

/** The connection string without `EntityPath`, so EVENTHUB_NAME alone names the hub. */
function withoutEntityPath(connectionString: string): string {
  return connectionString
    .split(';')
    .filter((part) => !/^\s*EntityPath\s*=/i.test(part))
    .join(';');
}

/**
 * What a worker's gateway needs from the cluster: the merged /metrics, the agreed partition map,
 * and /v1/capacity over every worker.
 */
export function clusterWorkerDeps(): Pick<GatewayDeps, 'exposeMetrics' | 'partitionMap' | 'shareCapacity'> {
  return {
    exposeMetrics: clusterMetricsExposition,
    partitionMap: clusterPartitionMap(),
    shareCapacity: clusterCapacitySource,
  };
}

export interface ClusterOptions {
  readonly logger?: Logger;
  readonly printBanner?: (text: string) => void;
}

/** Runs the primary until every worker has stopped; resolves with the exit code. */
export async function runPrimary(
  config: Config,
  workers: number,
  options: ClusterOptions = {},
): Promise<number> {
  const logger =
    options.logger ??
    createLogger({ level: config.log.level, pretty: config.log.pretty }).child({ role: 'primary' });
  const env: Record<string, string> = {};
  let emulator: EmbeddedEmulator | undefined;
  if (config.target.kind === 'embedded-emulator') {
    emulator = await defaultStartEmulator({
      host: '127.0.0.1',
      port: config.target.port,
      hubs: config.target.hubs,
      ...(config.target.tls === undefined ? {} : { tls: config.target.tls }),
    });
    (options.printBanner ?? ((text: string) => process.stderr.write(text)))(
      emulatorBanner(emulator.connectionString, emulator.restUrl, emulator.tls),
    );
    logger.warn(
      { emulatorPort: config.target.port, eventHub: config.target.eventHubName },
      'LOCAL DEVELOPMENT MODE: sending to the embedded emulator, not to Azure Event Hubs',
    );
    env.EVENTHUB_CONNECTION_STRING = withoutEntityPath(emulator.connectionString);
    env.EVENTHUB_NAME = config.target.eventHubName;
    if (config.ingest.deadLetterHub !== undefined)
      env.DEAD_LETTER_EVENTHUB_NAME = config.ingest.deadLetterHub;
    if (config.tokens.restUrl === undefined && emulator.restUrl !== undefined)
      env.EVENTHUB_REST_URL = emulator.restUrl;
  }

  let stopping = false;
  let failed = false;
  const live = new Set<Worker>();
  const listened = new WeakSet<Worker>();
  const metrics = createClusterMetricsPrimary(() => live);
  const partitions = createPartitionMapPrimary(() => live);
  const capacity = createCapacityPrimary(() => live);
  cluster.on('message', (worker, message) => {
    metrics.onMessage(worker, message);
    partitions.onMessage(worker, message);
    capacity.onMessage(worker, message);
  });
  const fork = (): void => {
    const worker = cluster.fork(env);
    live.add(worker);
  };

  return new Promise<number>((finish) => {
    let forcedExit: NodeJS.Timeout | undefined;
    const done = async (): Promise<void> => {
      clearTimeout(forcedExit);
      await emulator?.close().catch(() => undefined);
      logger.info({ failed }, 'cluster stopped');
      finish(failed ? 1 : 0);
    };

    cluster.on('listening', (worker, address) => {
      listened.add(worker);
      logger.info({ workerPid: worker.process.pid, port: address.port }, 'worker listening');
    });
    cluster.on('exit', (worker, code, signal) => {
      live.delete(worker);
      metrics.onExit(worker);
      if (stopping) {
        if (code !== 0) failed = true;
        if (live.size === 0) void done();
        return;
      }
      // A worker that never listened is failing at start-up (a bad key file, an unreachable hub):
      // replacing it would loop, so the cluster stops.
      const started = listened.has(worker);
      logger.error(
        { workerPid: worker.process.pid, code, signal },
        started ? 'worker died: replacing it' : 'worker failed to start: stopping the cluster',
      );
      if (started) fork();
      else stop('worker-failed');
    });

    const stop = (reason: NodeJS.Signals | 'worker-failed'): void => {
      if (stopping) {
        if (reason === 'worker-failed') return;
        logger.warn({ signal: reason }, 'second signal: killing the workers');
        for (const worker of live) worker.process.kill('SIGKILL');
        finish(1);
        return;
      }
      stopping = true;
      if (reason === 'worker-failed') failed = true;
      logger.info({ signal: reason, workers: live.size }, 'signal received: draining every worker');
      forcedExit = setTimeout(() => {
        logger.error(
          { deadlineMs: config.shutdownDeadlineMs },
          'shutdown deadline passed: killing the workers',
        );
        for (const worker of live) worker.process.kill('SIGKILL');
        failed = true;
      }, config.shutdownDeadlineMs + PRIMARY_MARGIN_MS);
      forcedExit.unref();
      for (const worker of live) {
        if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
        else worker.process.kill('SIGTERM');
      }
      if (live.size === 0) void done();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Each worker re-reads API_KEYS_FILE on SIGHUP; `kill -HUP <primary>` reaches only this process.
    process.on('SIGHUP', () => {
      for (const worker of live) worker.process.kill('SIGHUP');
    });

    logger.info({ workers }, 'starting gateway workers');
    for (let i = 0; i < workers; i++) fork();
  });
}
