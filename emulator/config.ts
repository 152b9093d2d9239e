/**
 * Turns `EmulatorOptions` into a validated, frozen configuration. Defaults live here (with `??`,
 * so an explicit 0 stays 0) and contradictions are thrown at start-up naming the option.
 */
import type { EmulatorOptions, HubConfig } from './types';
import { DEFAULT_HUB, DEFAULT_PARTITION_COUNT, WELL_KNOWN_POLICIES, type SasPolicy } from './well-known';

export interface ResolvedHub {
  readonly name: string;
  readonly partitionCount: number;
  readonly partitionIds: readonly string[];
  /** Always includes '$Default'. */
  readonly consumerGroups: readonly string[];
  readonly createdAt: Date;
}

export interface EmulatorConfig {
  readonly host: string;
  readonly port: number;
  readonly restPort: number | false;
  readonly hubs: readonly ResolvedHub[];
  readonly maxMessageSize: number;
  readonly policies: readonly SasPolicy[];
  readonly retention: { readonly maxEventsPerPartition: number; readonly maxBytesPerPartition: number };
}

export const DEFAULT_MAX_MESSAGE_SIZE = 1048576;
/** Defaults keep a long run at ~4 × 32 MiB for the default hub. */
export const DEFAULT_MAX_EVENTS_PER_PARTITION = 100_000;
export const DEFAULT_MAX_BYTES_PER_PARTITION = 32 * 1024 * 1024;
export const DEFAULT_CONSUMER_GROUP = '$Default';

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function resolveConfig(options: EmulatorOptions = {}, now: Date = new Date()): EmulatorConfig {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`port must be 0..65535, got ${port}`);
  const restPort = options.restPort ?? false;
  if (restPort !== false && (!Number.isInteger(restPort) || restPort < 0 || restPort > 65535)) {
    throw new RangeError(`restPort must be 0..65535 or false, got ${String(restPort)}`);
  }
  const hubOptions = options.hubs ?? [{ name: DEFAULT_HUB, partitionCount: DEFAULT_PARTITION_COUNT }];
  if (hubOptions.length === 0) throw new RangeError('hubs must name at least one hub');
  const seen = new Set<string>();
  const hubs = hubOptions.map((hub): ResolvedHub => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/.test(hub.name))
      throw new RangeError(`hubs: invalid hub name '${hub.name}'`);
    if (seen.has(hub.name.toLowerCase())) throw new RangeError(`hubs: duplicate hub name '${hub.name}'`);
    seen.add(hub.name.toLowerCase());
    const count = positiveInteger(hub.partitionCount, `hubs[${hub.name}].partitionCount`);
    if (count > 32) throw new RangeError(`hubs[${hub.name}].partitionCount must be 1..32, got ${count}`);
    const groups = [DEFAULT_CONSUMER_GROUP];
    for (const group of hub.consumerGroups ?? []) {
      if (group.length === 0 || group.length > 50)
        throw new RangeError(`hubs[${hub.name}].consumerGroups: invalid '${group}'`);
      if (!groups.some((g) => g.toLowerCase() === group.toLowerCase())) groups.push(group);
    }
    // Partitions can be added at run time (growPartitions), as Premium and Dedicated allow.
    const ids = Array.from({ length: count }, (_, i) => String(i));
    const resolved: ResolvedHub = Object.freeze({
      name: hub.name,
      get partitionCount() {
        return ids.length;
      },
      get partitionIds(): readonly string[] {
        return ids;
      },
      consumerGroups: Object.freeze(groups),
      createdAt: now,
    });
    partitionLists.set(resolved, ids);
    return resolved;
  });
  const policies = options.policies ?? WELL_KNOWN_POLICIES;
  if (policies.length === 0) throw new RangeError('policies must hold at least one policy');
  return Object.freeze({
    host: options.host ?? '127.0.0.1',
    port,
    restPort,
    hubs: Object.freeze(hubs),
    maxMessageSize: positiveInteger(options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, 'maxMessageSize'),
    policies: Object.freeze([...policies]),
    retention: Object.freeze({
      maxEventsPerPartition: positiveInteger(
        options.retention?.maxEventsPerPartition ?? DEFAULT_MAX_EVENTS_PER_PARTITION,
        'retention.maxEventsPerPartition',
      ),
      maxBytesPerPartition: positiveInteger(
        options.retention?.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
        'retention.maxBytesPerPartition',
      ),
    }),
  });
}

const partitionLists = new WeakMap<ResolvedHub, string[]>();

/** Adds partitions to a hub (ids continue from the last one); returns the new ids. Max 32 in all. */
export function growPartitions(hub: ResolvedHub, count: number): string[] {
  const ids = partitionLists.get(hub);
  if (ids === undefined) throw new RangeError(`growPartitions: '${hub.name}' is not a resolved hub`);
  positiveInteger(count, 'growPartitions count');
  if (ids.length + count > 32) throw new RangeError(`hubs[${hub.name}] would exceed 32 partitions`);
  const added = Array.from({ length: count }, (_, i) => String(ids.length + i));
  ids.push(...added);
  return added;
}

/** Hub names are case-insensitive in Event Hubs. */
export function findHub(config: EmulatorConfig, name: string): ResolvedHub | undefined {
  const wanted = name.toLowerCase();
  return config.hubs.find((hub) => hub.name.toLowerCase() === wanted);
}

export function findConsumerGroup(hub: ResolvedHub, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return hub.consumerGroups.find((group) => group.toLowerCase() === wanted);
}

/**
 * `telemetry:4,dead-letter:2` (EMULATOR_HUBS) → hub options; a hub without `:n` gets the default
 * partition count. Throws naming `setting` on a malformed entry; names are checked by resolveConfig.
 */
export function parseHubList(text: string, setting = 'EMULATOR_HUBS'): HubConfig[] {
  return text.split(',').map((entry) => {
    const [name = '', count, extra] = entry.trim().split(':');
    const partitionCount = count === undefined ? DEFAULT_PARTITION_COUNT : Number(count);
    if (name === '' || extra !== undefined || !Number.isInteger(partitionCount) || partitionCount < 1)
      throw new RangeError(`${setting}: "${entry}" is not name or name:partitions`);
    return { name, partitionCount };
  });
}
