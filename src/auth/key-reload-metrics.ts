/**
 * Metrics of the live key file, registered on the gateway's registry: how many keys are in force,
 * whether the last reload worked, and how many failed. An alert on
 * `gateway_api_keys_last_reload_success == 0` catches a broken file before anyone restarts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface KeyReloadObserver {
  /** A file was read and put in force with `keys` keys (also at start). */
  loaded(keys: number): void;
  /** A changed file was refused; the previous keys stay in force. */
  failed(): void;
}

export function keyReloadMetrics(registry: Registry, prefix = 'gateway_'): KeyReloadObserver {
  const registers = [registry];
  const keys = new Gauge({
    name: `${prefix}api_keys_loaded`,
    help: 'API keys in force (from API_KEYS_FILE; with WORKERS > 1 the fewest of any worker).',
    // Every worker reads the same file: a sum would count each key once per worker.
    aggregator: 'min',
    registers,
  });
  const lastSuccess = new Gauge({
    name: `${prefix}api_keys_last_reload_success`,
    help: '1 when the last read of API_KEYS_FILE was put in force, 0 when it was refused (old keys kept); with WORKERS > 1, 0 when any worker refused it.',
    aggregator: 'min',
    registers,
  });
  const failures = new Counter({
    name: `${prefix}api_keys_reload_failures_total`,
    help: 'Reads of a changed API_KEYS_FILE that were refused (unreadable or invalid); the previous keys stayed in force.',
    registers,
  });
  failures.inc(0);
  return {
    loaded(n) {
      keys.set(n);
      lastSuccess.set(1);
    },
    failed() {
      failures.inc();
      lastSuccess.set(0);
    },
  };
}
