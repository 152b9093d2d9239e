/**
 * The emulator's public data shapes, in one place so the AMQP side, the REST side and the tests
 * agree on them without importing each other's implementation.
 */
import type { TlsOptions } from './tls';
import type { SasPolicy } from './well-known';

export interface HubConfig {
  name: string;
  partitionCount: number;
  /** '$Default' always exists; names are compared case-insensitively (the SDK sends '$default'). */
  consumerGroups?: string[];
}

export interface RetentionOptions {
  maxEventsPerPartition?: number;
  maxBytesPerPartition?: number;
}

export interface EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** AMQP port; 0 = ephemeral (the default for `startEmulator`). */
  port?: number;
  /** The REST send path's port (owned by the REST module); false = no REST listener. */
  restPort?: number | false;
  /** Default [{ name: 'telemetry', partitionCount: 4 }]. */
  hubs?: HubConfig[];
  /** Largest accepted publication (a whole batch envelope). Default 1048576 (Standard tier). */
  maxMessageSize?: number;
  /** Default WELL_KNOWN_POLICIES. */
  policies?: SasPolicy[];
  /** Per-partition bound; the oldest events are dropped first. */
  retention?: RetentionOptions;
  /** An AMQPS listener besides the plain one, for clients that always use TLS. Default none. */
  tls?: TlsOptions;
}

/** One event as the emulator keeps it. `raw` is returned to consumers unchanged (plus annotations). */
export interface StoredEvent {
  readonly hub: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly offset: string;
  readonly enqueuedTime: Date;
  readonly partitionKey?: string;
  readonly publisher?: string;
  readonly messageId?: string | number;
  readonly contentType?: string;
  readonly applicationProperties: Record<string, unknown>;
  readonly body: Buffer;
  /** The inner message's encoded bytes, exactly as the producer sent them. */
  readonly raw: Buffer;
}

/** One record per accepted publication (AMQP transfer or REST request). */
export interface TransferRecord {
  readonly hub: string;
  readonly partitionId: string;
  readonly eventCount: number;
  readonly bytes: number;
}

/** Where an ingestion goes; routing precedence: partitionId, publisher, partitionKey, round-robin. */
export interface IngestTarget {
  hub: string;
  partitionId?: string;
  partitionKey?: string;
  publisher?: string;
}

/**
 * One event to ingest: either an already-encoded AMQP message (what AMQP producers send) or the
 * fields of one (what the REST path has), which the emulator encodes with a data-section body.
 */
export type InnerMessage =
  | { readonly raw: Buffer }
  | {
      readonly body: Buffer;
      readonly applicationProperties?: Record<string, unknown>;
      readonly messageId?: string | number;
      readonly correlationId?: string | number;
      readonly contentType?: string;
    };

export interface FaultCounters {
  /** Accepted publications. */
  readonly transfers: number;
  readonly eventsStored: number;
  /** Publications refused (faults, size, authorization). */
  readonly rejected: number;
  readonly putTokens: number;
  /** Connections accepted since start. */
  readonly connections: number;
}

export interface FaultControls {
  /** Reject the next `n` publications with `condition` (e.g. 'com.microsoft:server-busy'). */
  rejectNextSends(n: number, condition: string, description?: string): void;
  /** Hold every publication's disposition for `ms` (0 clears). */
  delayDispositions(ms: number): void;
  /** Detach every open link (default condition 'amqp:link:detach-forced'). */
  detachAllLinks(condition?: string): void;
  /** Close every connection with 'amqp:connection:forced' and drop its socket. */
  dropConnections(): void;
  /** Publications to this partition (of `hub`, default any) get no disposition and are not stored. */
  stallPartition(partitionId: string, hub?: string): void;
  /** Publications to this partition are rejected with `condition` until cleared. */
  rejectPartition(partitionId: string, condition: string, description?: string, hub?: string): void;
  /** This partition's dispositions are held `ms` longer (0 clears). */
  delayPartitionDispositions(partitionId: string, ms: number, hub?: string): void;
  /** Clears every stall, rejection and delay set per partition. */
  clearPartitionFaults(): void;
  /** Every open connection goes silent (never read, never written, never closed); new ones work. */
  blackholeConnections(): void;
  /** Adds partitions to a hub (default the first) at run time, as Premium allows; returns the new ids. */
  addPartitions(count: number, hub?: string): string[];
  /** An outage: stop accepting and drop every connection; the port stays reserved for `startListening`. */
  stopListening(): Promise<void>;
  /** Recovery: listen again on the same host and port. */
  startListening(): Promise<void>;
  readonly counters: FaultCounters;
}
