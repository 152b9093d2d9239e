/**
 * The seed guide's Python patterns, run with Debian's python3-azure (azure-eventhub 5.11, its
 * pure-Python AMQP stack, always over TLS) against the emulator's AMQPS listener, beside readings
 * POSTed to the real gateway. What the Python client sees is checked against what the emulator
 * stored and against the reference vectors of the service's key hash. Fails (never skips) when
 * python3-azure is missing: `.ci/run` installs it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading } from '../support/readings';
import { HUB } from '../support/expectations';
import { azureEventHubVersion, PYTHON, startAmqpsEmulator, type AmqpsEmulator } from './amqps-emulator';

/** `mapPartitionKeyToId(key, 4)` from the reference vectors (eventhubs-amqp.md, section 6.4). */
const KEY_VECTORS_N4: ReadonlyArray<readonly [string, number]> = [
  ['sensor-001', 1],
  ['sensor-123', 3],
  ['ünicode-ключ', 3],
  ['alphabet', 2],
  ['TheBestParitionEver', 2],
  ['TheWorstParitionEver', 3],
  ['a', 0],
  ['device-42', 0],
  ['abcdefghijkl', 1],
  ['abcdefghijklm', 3],
  ['order/2024/0001', 3],
  ['user@example.com', 3],
  [' ', 2],
  ['🚀rocket', 1],
];
/** Gateway sensors: one per partition of the 4-partition hub, by the same vectors. */
const GATEWAY_SENSORS = ['device-42', 'sensor-001', 'alphabet', 'sensor-123'];
/**
 * Keys the SDK hashes itself (buffered mode sends to the partition it computes). 5.11's resolver
 * reduces with Python's floor modulo and hashes characters, not UTF-8 bytes, so it agrees with the
 * service only for ASCII keys whose 16-bit hash is not negative (the `true` ones here).
 */
const BUFFERED_KEYS: ReadonlyArray<readonly [string, boolean]> = [
  ['sensor-123', true],
  ['sensor-001', false],
  ['TheWorstParitionEver', false],
  ['ünicode-ключ', false],
];
const PINNED_PARTITION = '2';
const PINNED_EVENTS = 3;
/** 5 readings of ~300 kB: the 1 MB batch takes 3, the 4th add() raises ValueError. */
const BATCH_READINGS = 5;
const BATCH_READING_PAYLOAD = 300_000;

interface SeenEvent {
  partition: string;
  sequence_number: number;
  offset: string;
  enqueued_ms: number;
  partition_key: string | null;
  message_id: string | null;
  content_type: string | null;
  properties: Record<string, unknown>;
  body_length: number;
  body: string | null;
}
interface PartitionProps {
  beginning_sequence_number: number;
  last_enqueued_sequence_number: number;
  last_enqueued_offset: string;
  is_empty: boolean;
}
interface PythonResult {
  seconds: Record<string, number>;
  before: { name: string; partition_ids: string[]; partitions: Record<string, PartitionProps> };
  sent: {
    default_max_size_in_bytes: number;
    batches: Array<{ events: number; bytes: number }>;
    keyed: string[];
    by_partition_id: number;
  };
  /** [sensor id, partition] per event the buffered producer reported sent. */
  buffered: Array<[string, string]>;
  from_beginning: { events: SeenEvent[]; complete: boolean; errors: string[] };
  reference_event?: SeenEvent;
  positions?: Record<string, { first: SeenEvent | null; errors: string[] }>;
  latest: { sequence_before: number; markers_sent: number; events: SeenEvent[] };
}

function runPython(plan: unknown): Promise<{ result: PythonResult; stderr: string }> {
  return new Promise((done, fail) => {
    const child = execFile(
      PYTHON,
      [resolve(__dirname, 'seed_guide.py')],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`seed_guide.py failed: ${error.message}\n${stderr.slice(-4000)}`));
        try {
          done({ result: JSON.parse(stdout) as PythonResult, stderr });
        } catch {
          fail(new Error(`seed_guide.py printed no JSON:\n${stdout.slice(0, 2000)}\n${stderr.slice(-4000)}`));
        }
      },
    );
    child.stdin?.end(JSON.stringify(plan));
  });
}

let amqps: AmqpsEmulator;
let t: TestGateway;
let version: string;
beforeAll(async () => {
  version = await azureEventHubVersion();
  amqps = await startAmqpsEmulator();
  t = await startTestGateway({ emulator: amqps.emulator });
});
afterAll(async () => {
  await t?.close();
  await amqps?.close();
});

describe('azure-eventhub for Python against the emulator (AMQPS)', () => {
  it('when the seed guide’s producer and consumer run, then sends, keyed placement, gateway readings and every start position behave as on the service', async () => {
    const posted = GATEWAY_SENSORS.flatMap((sensor, i) => [
      reading(sensor, { message_id: `gw-${i}-a`, tags: { seq: '0' } }),
      reading(sensor, { tags: { seq: '1' } }),
    ]);
    const res = await t.request.post(`/v1/events/${HUB}`).set(DEV_AUTH).send(posted);
    expect(res.status).toBe(200);
    const inHub = amqps.emulator.store.allEvents(HUB).length;
    expect(inHub).toBe(posted.length);

    const started = Date.now();
    const { result } = await runPython({
      connection_string: amqps.connectionString,
      eventhub_name: HUB,
      ca_cert: amqps.certPath,
      batch_readings: BATCH_READINGS,
      batch_reading_payload_bytes: BATCH_READING_PAYLOAD,
      keys: KEY_VECTORS_N4.map(([key]) => key),
      buffered_keys: BUFFERED_KEYS.map(([key]) => key),
      pinned_partition: PINNED_PARTITION,
      pinned_events: PINNED_EVENTS,
      events_already_in_hub: inHub,
    });
    const pythonMs = Date.now() - started;
    const stored = amqps.emulator.store.allEvents(HUB);

    // $management reads.
    expect(result.before.name).toBe(HUB);
    expect(result.before.partition_ids).toEqual(['0', '1', '2', '3']);
    for (const id of ['0', '1', '2', '3']) {
      const props = result.before.partitions[id];
      const onPartition = stored.filter((e) => e.partitionId === id && e.enqueuedTime.getTime() <= started);
      expect(props?.is_empty).toBe(onPartition.length === 0);
      expect(props?.last_enqueued_sequence_number).toBe(onPartition.at(-1)?.sequenceNumber ?? -1);
    }

    // The batch-full loop: the batch size is the link's max-message-size; add() raised ValueError.
    expect(result.sent.default_max_size_in_bytes).toBe(amqps.emulator.config.maxMessageSize);
    expect(result.sent.batches.map((b) => b.events)).toEqual([3, 2]);
    for (const batch of result.sent.batches)
      expect(batch.bytes).toBeLessThanOrEqual(amqps.emulator.config.maxMessageSize);
    const batchTransfers = amqps.emulator.store.transfers(HUB).filter((x) => x.bytes > BATCH_READING_PAYLOAD);
    expect(batchTransfers.map((x) => x.eventCount)).toEqual([3, 2]);

    // partition_key: each keyed event is stored where the reference vectors say.
    const placements = KEY_VECTORS_N4.map(([key, expected]) => {
      const event = stored.find((e) => e.partitionKey === key);
      return { key, expected, landed: event?.partitionId };
    });
    expect(placements.map((p) => p.landed)).toEqual(placements.map((p) => String(p.expected)));
    // Buffered mode: each event is stored where the SDK said it sent it; where its resolver follows
    // the service's rules, that is the reference partition.
    const vector = new Map(KEY_VECTORS_N4);
    const reported = new Map(result.buffered);
    const storedBuffered = new Map(
      stored
        .filter((e) => parsedStored(e.body)?.kind === 'buffered')
        .map((e) => [parsedStored(e.body)?.sensor_id ?? '', e.partitionId] as const),
    );
    expect([...reported.keys()].sort()).toEqual(BUFFERED_KEYS.map(([key]) => key).sort());
    expect(new Map([...storedBuffered].sort())).toEqual(new Map([...reported].sort()));
    for (const [key, agrees] of BUFFERED_KEYS)
      if (agrees)
        expect({ key, partition: reported.get(key) }).toEqual({ key, partition: String(vector.get(key)) });

    // partition_id: all pinned events on that partition, with their properties and message ids.
    const pinned = stored.filter((e) => e.messageId?.toString().startsWith('py-pinned-'));
    expect(pinned.map((e) => [e.partitionId, e.messageId, e.applicationProperties.origin])).toEqual(
      Array.from({ length: PINNED_EVENTS }, (_, i) => [PINNED_PARTITION, `py-pinned-${i}`, 'python']),
    );

    // The consumer from the beginning saw every event once, per partition in sequence order.
    const seen = result.from_beginning.events;
    expect(result.from_beginning.errors).toEqual([]);
    expect(result.from_beginning.complete).toBe(true);
    const storedBefore = stored.filter((e) => !isMarker(e.body.toString()));
    expect(seen).toHaveLength(storedBefore.length);
    for (const id of ['0', '1', '2', '3']) {
      const onPartition = seen.filter((e) => e.partition === id).map((e) => e.sequence_number);
      expect(onPartition).toEqual(
        storedBefore.filter((e) => e.partitionId === id).map((e) => e.sequenceNumber),
      );
    }
    for (const [key, expected] of KEY_VECTORS_N4) {
      const event = seen.find((e) => e.partition_key === key);
      expect({ key, partition: event?.partition }).toEqual({ key, partition: String(expected) });
    }

    // Gateway readings, read back by Python: partition by the key hash, message id, properties, body.
    for (const [index, sent] of posted.entries()) {
      const sensor = sent.sensor_id;
      const got = seen.find((e) => isDeepStrictEqual(parsedBody(e), sent));
      expect(got).toBeDefined();
      if (!got) continue;
      expect(got.partition).toBe(String(partitionIndexForKey(sensor, 4)));
      if (index % 2 === 0) expect(got.message_id).toBe(sent.message_id);
      else expect(got.message_id).toEqual(expect.any(String));
      expect(got.content_type).toMatch(/^application\/json/);
      expect(got.properties).toEqual(
        expect.objectContaining({
          partitionKey: sensor,
          eventType: 'telemetry',
          requestId: expect.any(String),
        }),
      );
    }

    // Every start position, on the pinned partition, relative to its second event.
    const reference = result.reference_event;
    const positions = result.positions;
    expect(reference && positions).toBeTruthy();
    if (!reference || !positions) return;
    const onPinned = seen.filter((e) => e.partition === PINNED_PARTITION);
    const after = (ms: number) => onPinned.find((e) => e.enqueued_ms > ms)?.sequence_number;
    const firsts = Object.fromEntries(
      Object.entries(positions).map(([name, p]) => [name, p.first?.sequence_number]),
    );
    expect(firsts).toEqual({
      sequence_inclusive: reference.sequence_number,
      sequence_exclusive: reference.sequence_number + 1,
      offset_inclusive: reference.sequence_number,
      offset_exclusive: reference.sequence_number + 1,
      enqueued_time: after(reference.enqueued_ms),
    });
    expect(Object.values(positions).flatMap((p) => p.errors)).toEqual([]);

    // "@latest": only what was sent after the receiver attached.
    expect(result.latest.events.length).toBeGreaterThan(0);
    for (const event of result.latest.events) {
      expect(event.sequence_number).toBeGreaterThan(result.latest.sequence_before);
      expect(isMarker(event.body ?? '')).toBe(true);
    }

    const perPartition = ['0', '1', '2', '3'].map((id) => {
      const here = storedBefore.filter((e) => e.partitionId === id);
      const byGateway = here.filter((e) => e.applicationProperties.eventType !== undefined).length;
      const byPython = here.length - byGateway;
      const received = seen.filter((e) => e.partition === id).length;
      return `  partition ${id}: sent by Python ${byPython}, by the gateway ${byGateway}, received by Python from "-1" ${received}`;
    });
    const summary = [
      `${version} (Debian python3-azure) against the emulator's AMQPS listener ${amqps.emulator.host}:${amqps.emulator.tls?.port}: ${(pythonMs / 1000).toFixed(1)} s (${Object.entries(
        result.seconds,
      )
        .map(([phase, s]) => `${phase} ${s}`)
        .join(', ')})`,
      `  management: partition ids ${result.before.partition_ids.join(',')}; create_batch().max_size_in_bytes = ${result.sent.default_max_size_in_bytes}`,
      `  batch-full loop: ${BATCH_READINGS} readings of ${BATCH_READING_PAYLOAD} bytes -> ValueError, batches of ${result.sent.batches.map((b) => `${b.events} (${b.bytes} B)`).join(' + ')}`,
      ...perPartition,
      `  keyed placements (partition_key -> partition; reference N=4): ${placements.map((p) => `${JSON.stringify(p.key)}->${p.landed}${p.landed === String(p.expected) ? '' : ` (expected ${p.expected})`}`).join(', ')}`,
      `  buffered mode (the SDK hashes the key itself): ${BUFFERED_KEYS.map(([key]) => `${JSON.stringify(key)}->${reported.get(key)}${reported.get(key) === String(vector.get(key)) ? '' : ` (service hash: ${vector.get(key)})`}`).join(', ')}`,
      `  partition_id=${PINNED_PARTITION}: ${pinned.length} events with message ids and properties`,
      `  start positions on partition ${PINNED_PARTITION} (reference seq ${reference.sequence_number}, offset ${reference.offset}): ${Object.entries(
        firsts,
      )
        .map(([n, s]) => `${n} -> first seq ${s}`)
        .join(
          ', ',
        )}; @latest -> first seq ${result.latest.events[0]?.sequence_number} (> ${result.latest.sequence_before}, after ${result.latest.markers_sent} marker send(s))`,
    ].join('\n');
    process.stdout.write(`${summary}\n`);
  }, 120_000);
});

function parsedBody(event: SeenEvent): unknown {
  try {
    return JSON.parse(event.body ?? 'null') as unknown;
  } catch {
    return undefined;
  }
}

function parsedStored(body: Buffer): { kind?: string; sensor_id?: string } | undefined {
  try {
    return JSON.parse(body.toString()) as { kind?: string; sensor_id?: string };
  } catch {
    return undefined;
  }
}

function isMarker(body: string): boolean {
  return body.startsWith('{"marker"');
}
