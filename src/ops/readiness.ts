/**
 * Whether this replica should get traffic, answered from in-memory state so a probe costs no I/O:
 * not while starting, not while draining on shutdown, not when the hub has not answered our last
 * call (the batcher's `ready`), and not when the buffer is above its high-water mark (a replica
 * that cannot send fast enough should shed new load to its peers before it has to refuse it).
 * The mark has hysteresis: not ready at `highWaterRatio` of the cap, ready again only below
 * `lowWaterRatio`, so a buffer hovering at the mark does not flap the load balancer. Some partitions
 * unable to send is `degraded`, still ready (every replica shares the hub's partitions, so taking
 * this one out would not help the others); when no partition with work can send, or the hub
 * refuses the gateway, it is not ready, and the body names the partitions and why. A dead-letter
 * hub in trouble is `degraded` too, never not-ready: the event hub takes every valid reading still,
 * and only the readings that would go to the dead-letter hub fail (their items say so).
 */

export type ReadinessState = 'starting' | 'serving' | 'draining';
export type NotReadyReason =
  'starting' | 'draining' | 'hub-unreachable' | 'hub-refused' | 'buffer-high-water';

/** A partition that cannot send, as the readiness body names it. */
export interface UnhealthyPartition {
  readonly partitionId: string;
  readonly state: string;
  /** The class of failure (timeout, refused, dns, unauthorized, not-found, busy, connection, error). */
  readonly reason?: string;
  /** The SDK's error code behind the reason. */
  readonly code?: string;
  /** When its last batch failed (ISO 8601), where known (dead-letter hub partitions). */
  readonly since?: string;
}

/** The dead-letter hub when it is not ok, as the readiness body names it. */
export interface UnhealthyHub {
  readonly hub: string;
  readonly state: string;
  readonly reason?: string;
  readonly partitions: readonly UnhealthyPartition[];
}

export type ReadinessResult =
  | {
      readonly ready: true;
      readonly degraded?: readonly UnhealthyPartition[];
      readonly deadLetterHub?: UnhealthyHub;
    }
  | {
      readonly ready: false;
      readonly reason: NotReadyReason;
      readonly detail: string;
      readonly partitions?: readonly UnhealthyPartition[];
    };

/** What readiness reads of the hub: the batcher's health(). */
export interface HubHealthView {
  readonly state: 'ok' | 'degraded' | 'unreachable' | 'refused';
  readonly reason?: string;
  readonly partitions: readonly {
    readonly partitionId: string;
    readonly state: string;
    readonly reason?: string;
    readonly code?: string;
    readonly since?: string;
  }[];
}

export interface ReadinessOptions {
  /** The batcher's `ready`: partition ids known, not closing, last call to the hub succeeded. */
  readonly hubReachable: () => boolean;
  /** The batcher's health(): when given, the body names unhealthy partitions and the reason. */
  readonly hubHealth?: () => HubHealthView;
  /** The dead-letter hub's name and its batcher's health() (DEAD_LETTER_EVENTHUB_NAME). */
  readonly deadLetterHealth?: { readonly hub: string; readonly health: () => HubHealthView };
  /** The batcher's `stats.bufferedBytes`. */
  readonly bufferedBytes: () => number;
  readonly maxBufferedBytes: number;
  readonly highWaterRatio?: number;
  readonly lowWaterRatio?: number;
}

export interface Readiness {
  readonly state: ReadinessState;
  /** The server listens and the batcher started. */
  markServing(): void;
  /** Shutdown began; stays draining. */
  markDraining(): void;
  check(): ReadinessResult;
}

const READY: ReadinessResult = Object.freeze({ ready: true });

export function createReadiness(options: ReadinessOptions): Readiness {
  const high = options.highWaterRatio ?? 0.8;
  const low = options.lowWaterRatio ?? Math.max(0, high - 0.1);
  if (!(high > 0 && high <= 1)) throw new Error('highWaterRatio must be in (0, 1]');
  if (!(low >= 0 && low <= high)) throw new Error('lowWaterRatio must be in [0, highWaterRatio]');
  if (!(options.maxBufferedBytes > 0)) throw new Error('maxBufferedBytes must be positive');
  const highBytes = options.maxBufferedBytes * high;
  const lowBytes = options.maxBufferedBytes * low;
  let state: ReadinessState = 'starting';
  let aboveMark = false;

  return {
    get state() {
      return state;
    },
    markServing() {
      if (state === 'starting') state = 'serving';
    },
    markDraining() {
      state = 'draining';
    },
    check() {
      if (state === 'starting')
        return { ready: false, reason: 'starting', detail: 'The gateway is starting.' };
      if (state === 'draining')
        return { ready: false, reason: 'draining', detail: 'The gateway is shutting down and draining.' };
      const health = options.hubHealth?.();
      const unhealthy = health === undefined ? undefined : unhealthyPartitions(health);
      if (health?.state === 'refused')
        return {
          ready: false,
          reason: 'hub-refused',
          detail: `Event Hubs refuses the gateway (${health.reason ?? 'refused'}); check its credentials and hub name.`,
          partitions: unhealthy ?? [],
        };
      if (health?.state === 'unreachable' || !options.hubReachable())
        return {
          ready: false,
          reason: 'hub-unreachable',
          detail: `Event Hubs has not answered recently${health?.reason === undefined ? '' : ` (${health.reason})`}.`,
          partitions: unhealthy ?? [],
        };
      const bytes = options.bufferedBytes();
      aboveMark = aboveMark ? bytes >= lowBytes : bytes >= highBytes;
      if (aboveMark)
        return {
          ready: false,
          reason: 'buffer-high-water',
          detail: `The send buffer is above ${Math.round(high * 100)} % of its capacity.`,
        };
      const deadLetterHub = unhealthyDeadLetterHub(options.deadLetterHealth);
      if (deadLetterHub !== undefined) return { ready: true, degraded: unhealthy ?? [], deadLetterHub };
      if (unhealthy !== undefined && unhealthy.length > 0) return { ready: true, degraded: unhealthy };
      return READY;
    },
  };
}

function unhealthyPartitions(health: HubHealthView): UnhealthyPartition[] {
  return health.partitions
    .filter((p) => p.state !== 'ok')
    .map((p) => ({
      partitionId: p.partitionId,
      state: p.state,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      ...(p.code === undefined ? {} : { code: p.code }),
      ...(p.since === undefined ? {} : { since: p.since }),
    }));
}

function unhealthyDeadLetterHub(view: ReadinessOptions['deadLetterHealth']): UnhealthyHub | undefined {
  if (view === undefined) return undefined;
  const health = view.health();
  const partitions = unhealthyPartitions(health);
  if (health.state === 'ok' && partitions.length === 0) return undefined;
  return {
    hub: view.hub,
    state: health.state === 'ok' ? 'degraded' : health.state,
    ...(health.reason === undefined ? {} : { reason: health.reason }),
    partitions,
  };
}
