/**
 * The metrics an operator needs to see a fault: every send attempt by outcome, our retries, attempt
 * timeouts, connection re-creations (from the sink), and per partition whether it is stalled and how
 * long its oldest waiting reading has waited (read from the batcher at scrape time, so a stuck
 * partition shows its growing age even when nothing else happens).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PartitionHealth } from '../batching/types';
import type { SinkObserver } from '../sink/types';

export interface FaultMetrics {
  readonly sinkObserver: Required<SinkObserver>;
  sendRetried(partitionId: string, code: string): void;
  /** Where the per-partition gauges read their values at scrape time. */
  watch(partitions: () => readonly PartitionHealth[]): void;
  /** Where the dropped-log-lines counter reads this process's running total at scrape time. */
  watchDroppedLogLines(total: () => number): void;
  /** After a change of partition count, `held` readings of moving keys waited for `partitionId`. */
  handoverFinished(partitionId: string, held: number, ms: number): void;
}

export function createFaultMetrics(registry: Registry, prefix = 'gateway_'): FaultMetrics {
  const registers = [registry];
  const attempts = new Counter({
    name: `${prefix}send_attempts_total`,
    help: 'Send attempts to Event Hubs by outcome (ok, timeout, or the SDK error code).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const retries = new Counter({
    name: `${prefix}send_retries_total`,
    help: 'Retries of a failed send attempt, by the error that caused them.',
    labelNames: ['code'] as const,
    registers,
  });
  const timeouts = new Counter({
    name: `${prefix}send_attempt_timeouts_total`,
    help: 'Send attempts given up because Event Hubs did not answer within the attempt timeout.',
    registers,
  });
  const recreations = new Counter({
    name: `${prefix}connection_recreations_total`,
    help: 'AMQP connections replaced because the old one stopped answering.',
    labelNames: ['reason'] as const,
    registers,
  });
  let droppedTotal: () => number = () => 0;
  let droppedSeen = 0;
  new Counter({
    name: `${prefix}log_lines_dropped_total`,
    help: 'Log lines dropped because the log destination could not take them (a broken pipe, a reader that stopped reading).',
    registers,
    collect() {
      // The destination keeps the running total (it exists before the metrics do); add what is new.
      const total = droppedTotal();
      if (total > droppedSeen) this.inc(total - droppedSeen);
      droppedSeen = Math.max(droppedSeen, total);
    },
  });
  const handoverHeld = new Counter({
    name: `${prefix}partition_handover_held_events_total`,
    help: 'Readings of keys that moved to another partition (the hub gained partitions) held until their old partition had answered for what it held, by old partition.',
    labelNames: ['partition'] as const,
    registers,
  });
  const handoverSeconds = new Histogram({
    name: `${prefix}partition_handover_seconds`,
    help: 'Time from a change of partition count until an old partition had answered for what it held (moving keys wait that long).',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  let source: () => readonly PartitionHealth[] = () => [];
  new Gauge({
    name: `${prefix}partition_stalled`,
    help: '1 while a partition cannot send (stalled or failing), else 0.',
    labelNames: ['partition'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source()) this.labels(p.partitionId).set(p.state === 'ok' ? 0 : 1);
    },
  });
  new Gauge({
    name: `${prefix}partition_oldest_waiting_seconds`,
    help: 'Age of the oldest reading not yet acknowledged, per partition (0 when none waits).',
    labelNames: ['partition'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of source()) this.labels(p.partitionId).set(p.oldestWaitingMs / 1000);
    },
  });
  timeouts.inc(0);
  return {
    sinkObserver: {
      attempt(_partitionId, outcome) {
        attempts.labels(outcome).inc();
        if (outcome === 'timeout') timeouts.inc();
      },
      connectionRecreated(reason) {
        recreations.labels(reason).inc();
      },
    },
    sendRetried(_partitionId, code) {
      retries.labels(code).inc();
    },
    watch(partitions) {
      source = partitions;
    },
    watchDroppedLogLines(total) {
      droppedTotal = total;
    },
    handoverFinished(partitionId, held, ms) {
      if (held > 0) handoverHeld.labels(partitionId).inc(held);
      handoverSeconds.observe(ms / 1000);
    },
  };
}
