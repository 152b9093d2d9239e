/**
 * Entry point: load the configuration, start the gateway (or, with WORKERS > 1, the cluster
 * primary that forks gateways: src/cluster.ts), wire the signals. Nothing else.
 * SIGTERM/SIGINT: stop accepting, flush, answer every waiting request, close the producer, exit 0.
 * A second signal, or SHUTDOWN_DEADLINE_MS passing, forces exit 1.
 */
import cluster from 'node:cluster';
import { clusterWorkerDeps, isShutdownMessage, runPrimary, workerCount } from './cluster';
import { ConfigError, loadConfig, type Config } from './config/load-config';
import { startGateway } from './gateway';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    exitWith(error);
  }
  const workers = workerCount(config.workers);
  if (workers > 1 && cluster.isPrimary) {
    process.exit(await runPrimary(config, workers));
  }
  const gateway = await startGateway(config, cluster.isWorker ? clusterWorkerDeps() : {});
  const { logger } = gateway;
  let stopping = false;
  const drain = (signal: NodeJS.Signals | 'primary'): void => {
    stopping = true;
    logger.info({ signal }, 'signal received: draining');
    setTimeout(() => {
      logger.error({ deadlineMs: config.shutdownDeadlineMs }, 'shutdown deadline passed: forcing exit');
      process.exit(1);
    }, config.shutdownDeadlineMs).unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // In a cluster only the primary forces exit: Ctrl-C reaches every process of the group, so a
      // worker already draining at the primary's request sees the same keystroke again.
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    drain(signal);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (cluster.isWorker) {
    // The primary's request to drain; Ctrl-C may already have started it, which is no second signal.
    process.on('message', (message: unknown) => {
      if (isShutdownMessage(message) && !stopping) drain('primary');
    });
    // The primary is gone: nobody will ask again, so drain now.
    process.on('disconnect', () => {
      if (!stopping) drain('primary');
    });
  }
}

/** Configuration problems are the operator's to fix: the message alone, no stack. */
function exitWith(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}

main().catch(exitWith);
