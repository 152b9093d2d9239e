/**
 * Entry point: read `.env`, load the configuration, start the gateway (or, with WORKERS > 1, the
 * cluster primary that forks gateways: src/cluster.ts), wire the signals. Nothing else.
 * SIGTERM/SIGINT: stop accepting, flush, answer every waiting request, close the producer, exit 0.
 * A second signal, or SHUTDOWN_DEADLINE_MS passing, forces exit 1. Every exit first gives the log
 * lines still buffered a bounded moment to go out (a broken or stuck stdout never holds it).
 * SIGHUP: re-read API_KEYS_FILE now (it is also re-read whenever it changes).
 * A start that fails prints one line naming the setting to fix (JSON in production) and exits 1.
 */
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { clusterWorkerDeps, isShutdownMessage, runPrimary, workerCount } from './cluster';
import { readKeyFileAtStart } from './auth/key-file-at-start';
import { readEnvFile, withEnvFile, type Env } from './config/env-file';
import { loadConfig, type Config } from './config/load-config';
import { startupFailureLine } from './config/report-startup-failure';
import { startGateway } from './gateway';
import { flushLogs } from './observability/logger';

/** How long an exit waits for buffered log lines: a clean one, and one forced by a deadline. */
const LOG_FLUSH_MS = 500;
const FORCED_LOG_FLUSH_MS = 100;

/** Exits once the buffered log lines are out, or `flushMs` passed; never blocks on a broken stdout. */
function exitAfterLogs(code: number, flushMs: number): void {
  void flushLogs(flushMs).then(() => process.exit(code));
}

let env: Env = process.env;
let reloadKeys: ((reason: string) => Promise<void>) | undefined;

async function main(): Promise<void> {
  // Handled from the first moment: Node's default for SIGHUP is to exit.
  process.on('SIGHUP', () => void reloadKeys?.('SIGHUP'));
  env = withEnvFile(process.env, readEnvFile(resolve('.env')));
  const config: Config = loadConfig(env);
  const workers = workerCount(config.workers);
  if (workers > 1 && cluster.isPrimary) {
    // Checked here too, so a bad key file is one line, not one per worker.
    if (config.auth.apiKeysFile !== undefined) readKeyFileAtStart(config.auth.apiKeysFile);
    const code = await runPrimary(config, workers);
    await flushLogs(LOG_FLUSH_MS);
    process.exit(code);
  }
  const gateway = await startGateway(config, cluster.isWorker ? clusterWorkerDeps() : {});
  reloadKeys = (reason) => gateway.reloadKeys(reason);
  const { logger } = gateway;
  let stopping = false;
  const drain = (signal: NodeJS.Signals | 'primary'): void => {
    stopping = true;
    logger.info({ signal }, 'signal received: draining');
    const deadlineAt = Date.now() + config.shutdownDeadlineMs;
    setTimeout(() => {
      logger.error({ deadlineMs: config.shutdownDeadlineMs }, 'shutdown deadline passed: forcing exit');
      exitAfterLogs(1, FORCED_LOG_FLUSH_MS);
    }, config.shutdownDeadlineMs).unref();
    // The clean exit's wait for the logs stays inside the deadline.
    const flushMs = (): number => Math.max(0, Math.min(LOG_FLUSH_MS, deadlineAt - Date.now()));
    gateway.close().then(
      () => exitAfterLogs(0, flushMs()),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterLogs(1, flushMs());
      },
    );
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // In a cluster only the primary forces exit: Ctrl-C reaches every process of the group, so a
      // worker already draining at the primary's request sees the same keystroke again.
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      exitAfterLogs(1, FORCED_LOG_FLUSH_MS);
      return;
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

/** Start-up problems are the operator's to fix: one line naming the setting, no stack. */
function exitWith(error: unknown): void {
  process.stderr.write(startupFailureLine(error, env.NODE_ENV?.trim() === 'production'));
  exitAfterLogs(1, FORCED_LOG_FLUSH_MS);
}

main().catch(exitWith);
