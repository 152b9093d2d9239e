/**
 * Shared by the batcher's unit tests: events keyed to a known partition, and ways to let fake
 * time and promise chains run. Keys are chosen from the reference vectors so that, with four
 * partitions, 'a' → 0, 'sensor-001' → 1, 'alphabet' → 2, 'sensor-123' → 3.
 */
import type { OutgoingEvent } from '../../src/batching/types';

export const KEY_FOR_PARTITION = { '0': 'a', '1': 'sensor-001', '2': 'alphabet', '3': 'sensor-123' } as const;
export type Partition = keyof typeof KEY_FOR_PARTITION;

/** A 10-byte event; its footprint is 10 + id length + 1 (content type 'j'). */
export function ev(id: string, partition: Partition, bodyBytes = 10): OutgoingEvent {
  return {
    partitionKey: KEY_FOR_PARTITION[partition],
    messageId: id,
    body: Buffer.alloc(bodyBytes, 0x61),
    properties: {},
    contentType: 'j',
  };
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  await settle();
}
