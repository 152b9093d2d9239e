/**
 * The sink's per-event span opt-out, through the real SDK into the emulator: with the default, the
 * SDK's tracer is never asked for a per-event span and the hub receives exactly the given
 * properties; with `traceEvents`, the SDK's own behaviour is back.
 */
import { useInstrumenter, type Instrumenter } from '@azure/core-tracing';
import { startEmulator, type Emulator } from '../../emulator';
import type { OutgoingEvent } from '../../src/batching/types';
import { createEventHubsSink } from '../../src/sink/event-hubs-sink';
import type { Sink } from '../../src/sink/types';

let emulator: Emulator;
let sink: Sink | undefined;
let spans: string[];

const recording: Instrumenter = {
  startSpan: (name) => {
    spans.push(name);
    return {
      span: {
        end: () => undefined,
        isRecording: () => false,
        recordException: () => undefined,
        setAttribute: () => undefined,
        setStatus: () => undefined,
        addEvent: () => undefined,
      },
      tracingContext: {
        getValue: () => 'x',
        setValue: () => recording as never,
        deleteValue: () => recording as never,
      },
    };
  },
  withContext: (_context, callback, ...args) => callback(...args),
  parseTraceparentHeader: () => undefined,
  createRequestHeaders: () => ({}),
};

function event(id: string): OutgoingEvent {
  return {
    partitionKey: 'sensor-span',
    messageId: id,
    body: Buffer.from('{"t":1}'),
    contentType: 'application/json',
    properties: { partitionKey: 'sensor-span', eventType: 'telemetry', schemaVersion: '1' },
  };
}

beforeEach(async () => {
  spans = [];
  useInstrumenter(recording);
  emulator = await startEmulator({ port: 0, restPort: false });
});

afterEach(async () => {
  await sink?.close();
  sink = undefined;
  await emulator.close();
});

describe('Event Hubs sink per-event spans', () => {
  it('when events are added with the default options, then no per-event span starts and the hub gets exactly the properties', async () => {
    sink = createEventHubsSink({ connectionString: emulator.connectionString }, { tryTimeoutMs: 5_000 });
    const batch = await sink.createBatch('1');
    expect(batch.tryAdd(event('s-1'))).toBe(true);
    expect(batch.tryAdd(event('s-2'))).toBe(true);
    await sink.send(batch);
    expect(spans.filter((name) => name === 'message')).toEqual([]);
    const stored = emulator.store.events('telemetry', '1');
    expect(stored.map((e) => e.applicationProperties)).toEqual([
      { partitionKey: 'sensor-span', eventType: 'telemetry', schemaVersion: '1' },
      { partitionKey: 'sensor-span', eventType: 'telemetry', schemaVersion: '1' },
    ]);
  });

  it('when traceEvents is set, then the SDK starts its span for each event', async () => {
    sink = createEventHubsSink(
      { connectionString: emulator.connectionString },
      { tryTimeoutMs: 5_000, traceEvents: true },
    );
    const batch = await sink.createBatch('1');
    expect(batch.tryAdd(event('t-1'))).toBe(true);
    expect(batch.tryAdd(event('t-2'))).toBe(true);
    expect(spans.filter((name) => name === 'message')).toEqual(['message', 'message']);
  });
});
