/**
 * The primary's partition-map agreement: the largest map seen wins (partitions are only ever
 * added), the reading worker gets the agreed map back, and every other worker gets a larger map
 * pushed at once.
 */
import type { Worker } from 'node:cluster';
import { agreedPartitionIds, createPartitionMapPrimary } from './cluster-partition-map';

function fakeWorker(name: string, sent: string[]): Worker {
  return {
    isConnected: () => true,
    send: (message: { type: string; id?: number; ids: string[] }) => {
      sent.push(`${name} ${message.type} ${message.id ?? '-'} [${message.ids.join(',')}]`);
      return true;
    },
  } as unknown as Worker;
}

describe('partition map agreement', () => {
  it('when reads come in, then the map with the most partitions is kept', () => {
    expect(agreedPartitionIds(undefined, ['0', '1'])).toEqual(['0', '1']);
    expect(agreedPartitionIds(['0', '1'], ['0', '1', '2'])).toEqual(['0', '1', '2']);
    // A stale read (started before the partition was added) does not take it away again.
    expect(agreedPartitionIds(['0', '1', '2'], ['0', '1'])).toEqual(['0', '1', '2']);
  });

  it('when one worker reads a larger map, then it gets it back and the others get it pushed; a stale read changes nothing', () => {
    const sent: string[] = [];
    const a = fakeWorker('A', sent);
    const b = fakeWorker('B', sent);
    const primary = createPartitionMapPrimary(() => [a, b]);
    primary.onMessage(a, { type: 'gateway:partition-read', id: 1, ids: ['0', '1'] });
    primary.onMessage(b, { type: 'gateway:partition-read', id: 1, ids: ['0', '1'] });
    primary.onMessage(b, { type: 'gateway:partition-read', id: 2, ids: ['0', '1', '2', '3'] });
    primary.onMessage(a, { type: 'gateway:partition-read', id: 2, ids: ['0', '1'] });
    primary.onMessage(a, { type: 'something-else', id: 3 });
    expect(sent).toEqual([
      'A gateway:partition-agreed 1 [0,1]',
      'B gateway:partition-map - [0,1]',
      'B gateway:partition-agreed 1 [0,1]',
      'B gateway:partition-agreed 2 [0,1,2,3]',
      'A gateway:partition-map - [0,1,2,3]',
      'A gateway:partition-agreed 2 [0,1,2,3]',
    ]);
  });
});
