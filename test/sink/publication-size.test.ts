/**
 * The size the gateway computes for an event alone in a publication is the size the SDK's own
 * EventDataBatch counts (through the real sink into the emulator), and the cheap bound that lets
 * most events skip the encoding is never below it.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { eventFootprint } from '../../src/batching/event-footprint';
import type { OutgoingEvent } from '../../src/batching/types';
import { createEventHubsSink } from '../../src/sink/event-hubs-sink';
import { mayExceed, publicationSize } from '../../src/sink/publication-size';
import type { Sink } from '../../src/sink/types';

let emulator: Emulator;
let sink: Sink;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, restPort: false });
  sink = createEventHubsSink({ connectionString: emulator.connectionString }, { tryTimeoutMs: 5_000 });
});

afterAll(async () => {
  await sink.close();
  await emulator.close();
});

function event(body: Buffer, properties: OutgoingEvent['properties'], messageId = 'm-1'): OutgoingEvent {
  return { partitionKey: 'sensor-x', messageId, body, contentType: 'application/json', properties };
}

const EVENTS: readonly [string, OutgoingEvent][] = [
  ['a small reading', event(Buffer.from('{"t":1}'), { partitionKey: 'sensor-x', eventType: 'telemetry' })],
  ['a body at the 255-byte section boundary', event(Buffer.alloc(120, 0x61), { partitionKey: 's' })],
  ['non-ASCII properties', event(Buffer.alloc(300, 0x61), { site: 'Zürich 漢字 🌡', n: 5, x: 1.5, ok: true })],
  [
    'a large reading with long properties',
    event(
      Buffer.alloc(200_000, 0x62),
      { partitionKey: 'k'.repeat(128), requestId: 'r'.repeat(36), receivedAt: new Date().toISOString() },
      'i'.repeat(128),
    ),
  ],
  ['negative and large numbers', event(Buffer.from('[]'), { a: -1, b: 2 ** 40, c: -(2 ** 40), d: 0.1 })],
];

describe('publication size', () => {
  it.each(EVENTS)(
    'when %s is alone in an SDK batch, then the computed size is the batch size',
    async (_, e) => {
      const batch = await sink.createBatch('0');
      expect(batch.tryAdd(e)).toBe(true);
      expect(publicationSize(e)).toBe(batch.sizeInBytes);
    },
  );

  it.each(EVENTS)('when %s is sized, then the cheap bound is never below the exact size', (_, e) => {
    const exact = publicationSize(e);
    // "Cannot exceed exact − 1" would be a false promise: the bound must see that it can.
    expect(mayExceed(e, eventFootprint(e), exact - 1)).toBe(true);
  });
});
