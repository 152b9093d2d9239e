/**
 * Under concurrency: every reading of a sensor lands on the partition the reference hash gives,
 * in the order the sensor sent it; and under load, batches fill up to the hub's size bound.
 */
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { HUB, storedEventsOf } from '../support/expectations';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { LINGER_MS: '10' } });
});
afterAll(() => t.close());

describe('ordering and batching under load', () => {
  it('when 50 clients send concurrently, then each sensor’s readings are on its hashed partition in send order', async () => {
    const clients = 50;
    const requestsPerClient = 8;
    const sensors = Array.from({ length: clients }, () => uniqueSensorId('order'));
    await Promise.all(
      sensors.map(async (sensor) => {
        let seq = 0;
        for (let r = 0; r < requestsPerClient; r++) {
          const batch = Array.from({ length: 1 + (r % 3) }, () =>
            reading(sensor, { tags: { seq: String(seq++) } }),
          );
          const res = await t.request.post('/v1/events/telemetry').set(DEV_AUTH).send(batch);
          expect(res.status).toBe(200);
        }
      }),
    );
    for (const sensor of sensors) {
      const stored = storedEventsOf(t.emulator, sensor);
      const expectedCount = [0, 1, 2, 3, 4, 5, 6, 7].reduce((n, r) => n + 1 + (r % 3), 0);
      expect(stored).toHaveLength(expectedCount);
      expect(new Set(stored.map((e) => e.partitionId))).toEqual(
        new Set([String(partitionIndexForKey(sensor, 4))]),
      );
      const seqs = stored.map((e) =>
        Number((JSON.parse(e.body.toString()) as { tags: { seq: string } }).tags.seq),
      );
      expect(seqs).toEqual(Array.from({ length: expectedCount }, (_, i) => i));
    }
  });

  it('when many large batches arrive at once, then publications fill toward the hub’s max message size', async () => {
    // A linger long enough that, even on a busy CI machine, size (not time) cuts the batches.
    const filling = await startTestGateway({ emulator: t.emulator, env: { LINGER_MS: '250' } });
    try {
      await fillBatches(filling);
    } finally {
      await filling.close();
    }
  });
});

async function fillBatches(t: TestGateway): Promise<void> {
  const before = t.emulator.store.transfers(HUB).length;
  const sensor = uniqueSensorId('fill');
  const padding = { a: 'x'.repeat(250), b: 'y'.repeat(250), c: 'z'.repeat(250), d: 'w'.repeat(250) };
  // One sensor → one partition, so its batches can only be cut by size (or the count cap).
  const requests = Array.from({ length: 30 }, () =>
    t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send(Array.from({ length: 100 }, () => reading(sensor, { tags: padding }))),
  );
  const statuses = (await Promise.all(requests)).map((r) => r.status);
  expect(statuses.every((s) => s === 200)).toBe(true);

  const transfers = t.emulator.store.transfers(HUB).slice(before);
  const events = transfers.reduce((n, x) => n + x.eventCount, 0);
  expect(events).toBe(3000);
  const maxMessageSize = t.emulator.config.maxMessageSize;
  const largest = Math.max(...transfers.map((x) => x.bytes));
  // ~3 MB through one partition: the full batches come close to the 1 MB bound.
  expect(largest).toBeGreaterThan(0.9 * maxMessageSize);
  expect(largest).toBeLessThanOrEqual(maxMessageSize);
  expect(events / transfers.length).toBeGreaterThan(100);
}
