/**
 * What /readyz says of the dead-letter hub. The batcher's own health forgives a failed send as
 * soon as the hub answers anything else (its partition-id probe runs within moments of a failure),
 * which suits the event hub, sent to all the time; the dead-letter hub is sent to rarely, so that
 * rule would hide a hub that refuses every dead letter. Here each partition keeps the outcome of
 * its last dead-letter batch: failing (with the failure's class, code and since when) until a batch to it is
 * acknowledged. Merged with the batcher's view (stalls, unreachable), so either kind shows. The
 * log gets one WARN when dead letters start failing and one INFO when every partition delivers
 * again, not a line per batch.
 */
import type { BatcherObserver } from '../batching/types';
import type { Logger } from '../observability/logger';
import type { HubHealthView } from '../ops/readiness';
import { hubProblem } from '../sink/classify-failure';

export interface DeadLetterHealth {
  /** To be heard by the dead-letter batcher (beside its metrics). */
  readonly observer: Required<Pick<BatcherObserver, 'batchSent' | 'sendFailed'>>;
  /** The batcher's health with the partitions whose last dead-letter batch failed. */
  health(): HubHealthView;
}

interface LastFailure {
  readonly code: string;
  readonly since: string;
}

export interface DeadLetterHealthOptions {
  readonly hub: string;
  readonly logger: Logger;
  /** The dead-letter batcher's health(). */
  readonly batcherHealth: () => HubHealthView;
  readonly now?: () => Date;
}

export function createDeadLetterHealth(options: DeadLetterHealthOptions): DeadLetterHealth {
  const { hub, logger, batcherHealth } = options;
  const now = options.now ?? (() => new Date());
  const failing = new Map<string, LastFailure>();
  return {
    observer: {
      batchSent: (partitionId) => {
        if (failing.delete(partitionId) && failing.size === 0)
          logger.info({ hub }, 'dead-letter hub delivering again');
      },
      sendFailed: (partitionId, code) => {
        if (failing.size === 0)
          logger.warn(
            { hub, partitionId, code },
            `dead-letter hub failing (${code}): refused readings are answered as not delivered`,
          );
        failing.set(partitionId, { code, since: now().toISOString() });
      },
    },
    health() {
      const view = batcherHealth();
      if (failing.size === 0) return view;
      const seen = new Set(view.partitions.filter((p) => p.state !== 'ok').map((p) => p.partitionId));
      const partitions = [
        ...view.partitions.filter((p) => p.state !== 'ok'),
        ...[...failing]
          .filter(([partitionId]) => !seen.has(partitionId))
          .map(([partitionId, f]) => ({
            partitionId,
            state: 'failing',
            reason: hubProblem(f.code, ''),
            code: f.code,
            since: f.since,
          })),
      ];
      return {
        state: view.state === 'ok' ? 'degraded' : view.state,
        ...(view.reason === undefined ? {} : { reason: view.reason }),
        partitions,
      };
    },
  };
}
