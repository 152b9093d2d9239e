/**
 * Placement by partition key equals the SDK's own client-side mapping — for the emulator's routing
 * function over 10,000 random keys at every partition count, and end to end for keyed sends to
 * `<hub>` through the real producer.
 */
import path from 'node:path';
import { startEmulator, type Emulator } from '../../emulator/index';
import { resolveConfig } from '../../emulator/config';
import { route } from '../../emulator/store/routing';
import { producerFor } from './support/sdk';

// Internal to the SDK (not in its exports map), so it is loaded by file path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkMapper = require(
  path.join(path.dirname(require.resolve('@azure/event-hubs')), 'impl/partitionKeyToIdMapper.js'),
) as {
  mapPartitionKeyToId(key: string, partitionCount: number): number;
};

const COUNTS = [1, 2, 3, 4, 7, 16, 32];

/** Deterministic keys: mulberry32 over a fixed seed, mixing ASCII, Cyrillic, CJK and astral code points. */
function randomKeys(count: number, seed: number): string[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ranges: Array<[number, number]> = [
    [0x20, 0x7e],
    [0x20, 0x7e],
    [0x410, 0x44f],
    [0x4e00, 0x9fff],
    [0x1f300, 0x1f64f],
  ];
  return Array.from({ length: count }, (_, i) => {
    const length = Math.floor(next() * 41);
    const unicode = i % 2 === 1;
    let key = '';
    for (let j = 0; j < length; j++) {
      const [lo, hi] = ranges[unicode ? Math.floor(next() * ranges.length) : 0]!;
      key += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
    }
    return key;
  });
}

describe('emulator placement by partition key', () => {
  it('when 10,000 random keys are routed at every partition count, then each lands where the SDK maps it', () => {
    const keys = randomKeys(10_000, 20240611);
    const config = resolveConfig({ hubs: COUNTS.map((n) => ({ name: `h${n}`, partitionCount: n })) });
    for (const hub of config.hubs) {
      const mismatches = keys.filter(
        (key) =>
          route(hub, { partitionKey: key }, () => 0).partitionId !==
          String(sdkMapper.mapPartitionKeyToId(key, hub.partitionCount)),
      );
      expect({ hub: hub.name, mismatches: mismatches.slice(0, 5) }).toEqual({
        hub: hub.name,
        mismatches: [],
      });
    }
  });

  describe('through the SDK', () => {
    let emulator: Emulator;

    beforeAll(async () => {
      emulator = await startEmulator({ hubs: COUNTS.map((n) => ({ name: `h${n}`, partitionCount: n })) });
    });

    afterAll(() => emulator.close());

    it('when keyed events are sent to the hub, then the emulator places them where the SDK maps the key', async () => {
      const keys = randomKeys(60, 7);
      await Promise.all(
        COUNTS.map(async (n) => {
          const producer = producerFor(emulator.connectionStringFor('RootManageSharedAccessKey', `h${n}`));
          try {
            for (const key of keys) await producer.sendBatch([{ body: key }], { partitionKey: key });
          } finally {
            await producer.close();
          }
        }),
      );
      for (const n of COUNTS) {
        const placed = emulator.store.allEvents(`h${n}`).map((e) => [e.partitionKey, e.partitionId]);
        const expected = keys.map((key) => [key, String(sdkMapper.mapPartitionKeyToId(key, n))]);
        expect(placed.sort()).toEqual(expected.sort());
      }
    });
  });
});
