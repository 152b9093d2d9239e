/**
 * The local Event Hubs emulator: an AMQP 1.0 server on loopback that the unmodified
 * `@azure/event-hubs` clients use through a connection string, with an in-process store to read
 * back and reset, fault controls, and `ingest` for the REST send path. `startEmulator` is the
 * composition root; everything else lives in one-job modules beside it.
 */
import { startAmqpServer } from './amqp/server';
import { startRestServer, type RestServer } from './rest/server';
import type { ServerContext } from './amqp/context';
import { resolveConfig, type EmulatorConfig } from './config';
import { loadTlsMaterial } from './tls';
import { FaultState } from './faults';
import { createStore, type EmulatorStore, type IngestOptions } from './store/store';
import type { EmulatorOptions, FaultControls, IngestTarget, InnerMessage, StoredEvent } from './types';
import { ROOT_POLICY } from './well-known';

export type {
  EmulatorOptions,
  FaultControls,
  FaultCounters,
  HubConfig,
  IngestTarget,
  InnerMessage,
  RetentionOptions,
  StoredEvent,
  TransferRecord,
} from './types';
export type { EmulatorStore, IngestOptions } from './store/store';
export type { TlsOptions } from './tls';
export type { EmulatorConfig, ResolvedHub } from './config';
export { EmulatorError } from './errors';
export { FaultState } from './faults';

export interface Emulator {
  readonly host: string;
  readonly port: number;
  /** ROOT_POLICY, EntityPath=<first hub>, UseDevelopmentEmulator=true. */
  readonly connectionString: string;
  connectionStringFor(policyName: string, hub?: string): string;
  /** `sb://<host>:<port>/` */
  readonly endpoint: string;
  /** The AMQPS listener, when `tls` was given. */
  readonly tls: EmulatorTls | undefined;
  /** `http://<host>:<port>` of the REST send path; undefined when `restPort` is false (the default). */
  readonly restUrl: string | undefined;
  readonly config: EmulatorConfig;
  readonly store: EmulatorStore;
  readonly faults: FaultControls &
    Pick<FaultState, 'takeSendRejection' | 'count' | 'dispositionDelayMs' | 'partitionFault'>;
  /** Routes and stores events exactly as an AMQP send does (for the REST path). Throws `EmulatorError`. */
  ingest(target: IngestTarget, messages: readonly InnerMessage[], options?: IngestOptions): StoredEvent[];
  close(): Promise<void>;
}

export interface EmulatorTls {
  readonly port: number;
  /** The certificate a client must trust (Python: `connection_verify=<certPath>`). */
  readonly certPath: string;
  readonly selfSigned: boolean;
  /** ROOT_POLICY, EntityPath=<first hub>, on the AMQPS port, without `UseDevelopmentEmulator`. */
  readonly connectionString: string;
  /** Like `connectionStringFor`, on the AMQPS port and without `UseDevelopmentEmulator`. */
  connectionStringFor(policyName: string, hub?: string): string;
}

function hostForUri(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = resolveConfig(options);
  const faults = new FaultState();
  const store = createStore(config);
  const timers = new Set<NodeJS.Timeout>();
  let port = config.port;
  const host = config.host;
  const context: ServerContext = {
    config,
    store,
    faults,
    now: Date.now,
    namespaceUri: () => `sb://${hostForUri(host)}:${port}`,
    later(ms, action) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, ms);
      timers.add(timer);
    },
    consumers: new Map(),
  };
  const tlsMaterial = options.tls ? await loadTlsMaterial(options.tls) : undefined;
  const server = await startAmqpServer(context, {
    host,
    port: config.port,
    ...(options.tls && tlsMaterial ? { tls: { port: options.tls.port, material: tlsMaterial } } : {}),
  });
  port = server.port;
  faults.bind({
    detachAllLinks: (condition) => server.detachAllLinks(condition),
    dropConnections: () => server.dropConnections(),
    blackholeConnections: () => server.blackholeConnections(),
    addPartitions: (hub, count) => store.addPartitions(hub ?? config.hubs[0]?.name ?? '', count),
    stopListening: () => server.stopListening(),
    startListening: () => server.startListening(),
  });
  const ingest: Emulator['ingest'] = (target, messages, ingestOptions) => {
    const stored = store.ingest(target, messages, ingestOptions);
    faults.count('transfers');
    faults.count('eventsStored', stored.length);
    return stored;
  };
  let rest: RestServer | undefined;
  if (config.restPort !== false) {
    try {
      rest = await startRestServer({
        config,
        port: config.restPort,
        ingest,
        faults,
        now: () => context.now(),
      });
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  const firstHub = config.hubs[0]?.name ?? '';
  const connectionStringOn =
    (onPort: number, plain: boolean) =>
    (policyName: string, hub: string = firstHub): string => {
      const policy = config.policies.find((p) => p.name === policyName);
      if (!policy) throw new RangeError(`connectionStringFor: unknown policy '${policyName}'`);
      return [
        `Endpoint=sb://${hostForUri(host)}:${onPort}`,
        `SharedAccessKeyName=${policy.name}`,
        `SharedAccessKey=${policy.key}`,
        `EntityPath=${hub}`,
        ...(plain ? ['UseDevelopmentEmulator=true'] : []),
      ].join(';');
    };
  const connectionStringFor = connectionStringOn(port, true);
  const tlsPort = server.tlsPort;
  const rootName = config.policies.some((p) => p.name === ROOT_POLICY.name)
    ? ROOT_POLICY.name
    : (config.policies[0]?.name ?? '');
  const tls: EmulatorTls | undefined =
    tlsMaterial && tlsPort !== undefined
      ? {
          port: tlsPort,
          certPath: tlsMaterial.certPath,
          selfSigned: tlsMaterial.selfSigned,
          connectionString: connectionStringOn(tlsPort, false)(rootName),
          connectionStringFor: connectionStringOn(tlsPort, false),
        }
      : undefined;
  let closed = false;
  return {
    host,
    port,
    connectionString: connectionStringFor(rootName),
    connectionStringFor,
    endpoint: `sb://${hostForUri(host)}:${port}/`,
    tls,
    config,
    store,
    faults,
    restUrl: rest?.url,
    ingest,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      store.close();
      await rest?.close();
      await server.close();
    },
  };
}
