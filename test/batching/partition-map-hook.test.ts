/**
 * The batcher's partition-map hook: it routes with the agreed ids, not its own read, and ids
 * pushed from elsewhere (another worker's read) take effect at once, before its next own read.
 * Key 'a' goes to partition 0 of 4 and to partition 4 of 8 (reference hash).
 */
import { createBatcher } from '../../src/batching/batcher';
import type { PartitionMap } from '../../src/batching/partition-map';
import type { Batcher } from '../../src/batching/types';
import { ev, settle } from './batcher-kit';
import { FakeSink } from './fake-sink';

const EIGHT = ['0', '1', '2', '3', '4', '5', '6', '7'];

describe('partition map hook', () => {
  let batcher: Batcher | undefined;
  afterEach(() => batcher?.close({ flush: false }));

  it('when another worker’s read brings more partitions, then this batcher routes with them at once', async () => {
    let push: ((ids: readonly string[]) => void) | undefined;
    const reads: string[][] = [];
    const map: PartitionMap = {
      agree: (read) => {
        reads.push([...read]);
        return Promise.resolve(read);
      },
      subscribe: (apply) => {
        push = apply;
        return () => (push = undefined);
      },
    };
    const sink = new FakeSink([]);
    batcher = createBatcher({ sink, partitionMap: map, partitionRefreshMs: 3_600_000, lingerMs: 0 });
    await batcher.start();
    expect(reads).toEqual([['0', '1', '2', '3']]);
    expect(batcher.enqueue([ev('e1', '0')]).partitionIds).toEqual(['0']);

    push?.(EIGHT);
    await settle();
    expect(batcher.enqueue([ev('e2', '0')]).partitionIds).toEqual(['4']);
    // No read of its own happened in between: the push alone moved it.
    expect(reads).toHaveLength(1);
    await batcher.close({ flush: false });
    expect(push).toBeUndefined();
  });

  it('when the agreed map differs from its own read, then it routes with the agreed one', async () => {
    const map: PartitionMap = {
      agree: () => Promise.resolve(EIGHT),
      subscribe: () => () => undefined,
    };
    batcher = createBatcher({ sink: new FakeSink([]), partitionMap: map, lingerMs: 0 });
    await batcher.start();
    expect(batcher.enqueue([ev('e1', '0')]).partitionIds).toEqual(['4']);
  });
});
