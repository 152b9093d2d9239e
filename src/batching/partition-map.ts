/**
 * Where the partition ids the batcher routes with come from. One process alone routes with what
 * it read from the hub; the workers of a cluster must agree on one map, or for a while after a
 * partition is added one sensor's readings would go to two partitions from one replica
 * (src/cluster-partition-map.ts is that agreement). The hub monitor still reads the hub itself:
 * the read is also its reachability probe.
 */

export interface PartitionMap {
  /** Called with every read of the hub's ids; resolves with the ids to route with. Never rejects. */
  agree(read: readonly string[]): Promise<readonly string[]>;
  /** Ids agreed elsewhere (another worker's read) arrive here, to route with at once. */
  subscribe(apply: (ids: readonly string[]) => void): () => void;
}

/** A single process: its own read is the map. */
export const LOCAL_PARTITION_MAP: PartitionMap = Object.freeze({
  agree: (read: readonly string[]) => Promise.resolve(read),
  subscribe: () => () => undefined,
});
