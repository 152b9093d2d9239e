/**
 * A reading too large for one publication is refused before anything of its request is queued.
 * The hard case: its footprint (the cheap lower bound) fits the link's max-message-size, only its
 * AMQP encoding does not, and its partition is busy (a batch in flight, the next one already
 * holding readings), while the request's other reading goes to a partition that sends at once.
 * Found only when its partition gets to it, the other reading was stored long before the device
 * heard anything.
 */
import { partitionIndexOfKey } from '../../emulator/store/key-hash';
import { eventFootprint } from '../../src/batching/event-footprint';
import { publicationSize } from '../../src/sink/publication-size';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { expectProblem, storedEventsOf } from '../support/expectations';
import { reading, uniqueSensorId, type Reading } from '../support/readings';

const MAX_MESSAGE_SIZE = 4096;
const PARTITIONS = 4;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ emulatorOptions: { maxMessageSize: MAX_MESSAGE_SIZE } });
});
afterEach(() => gw.emulator.faults.clearPartitionFaults());
afterAll(() => gw.close());

function sensorOnPartition(prefix: string, partition: number): string {
  for (;;) {
    const id = uniqueSensorId(prefix);
    if (partitionIndexOfKey(id, PARTITIONS) === partition) return id;
  }
}

/** A reading of `sensorId` whose JSON is exactly `bytes` long (padded with tags). */
function readingOfLength(sensorId: string, bytes: number, messageId: string): Reading {
  const base = reading(sensorId, { message_id: messageId, tags: {} });
  const tags: Record<string, string> = {};
  let n = 0;
  for (;;) {
    const current = JSON.stringify({ ...base, tags }).length;
    if (current >= bytes) break;
    const room = Math.min(256, bytes - current - `,"t${n}":""`.length);
    if (room < 0) throw new Error(`cannot pad to exactly ${bytes} bytes`);
    tags[`t${n++}`] = 'x'.repeat(room);
  }
  const padded = { ...base, tags };
  expect(JSON.stringify(padded).length).toBe(bytes);
  return padded;
}

it('when one reading fits only by its footprint, not encoded, and its partition is busy, then the request gets 422 naming it and nothing of it is stored', async () => {
  const warm = sensorOnPartition('warm', 0);
  const small = sensorOnPartition('small', 0);
  const busy = sensorOnPartition('busy', 1);
  const big = sensorOnPartition('big', 1);
  // Both links are set up and the hub's limit is known.
  await gw.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(warm)).expect(200);
  await gw.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(busy)).expect(200);
  const [stored] = storedEventsOf(gw.emulator, warm);
  expect(stored).toBeDefined();

  // The event the gateway makes of a reading: its properties as stored, with this sensor's key.
  const asEvent = (r: Reading) => ({
    partitionKey: r.sensor_id,
    messageId: String(r.message_id),
    body: Buffer.from(JSON.stringify(r)),
    contentType: stored!.contentType ?? 'application/json',
    properties: { ...(stored!.applicationProperties as Record<string, string | number | boolean>) },
  });
  let bigReading: Reading | undefined;
  for (let bytes = MAX_MESSAGE_SIZE - 400; bytes < MAX_MESSAGE_SIZE; bytes += 10) {
    const candidate = readingOfLength(big, bytes, `${big}-m`);
    const event = asEvent(candidate);
    event.properties.partitionKey = big;
    if (eventFootprint(event) <= MAX_MESSAGE_SIZE && publicationSize(event) > MAX_MESSAGE_SIZE) {
      bigReading = candidate;
      break;
    }
  }
  // The premise: a reading in the band the footprint alone cannot see.
  expect(bigReading).toBeDefined();

  // Partition 1 is busy: one batch waits for the hub, the next one holds a reading behind it.
  gw.emulator.faults.stallPartition('1');
  const post = () =>
    gw.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send(reading(busy))
      .then((r) => r.status);
  const waiting = [post()];
  await new Promise((r) => setTimeout(r, 150));
  waiting.push(post());
  await new Promise((r) => setTimeout(r, 150));

  const res = await gw.request
    .post('/v1/events/telemetry')
    .set(DEV_AUTH)
    .send([reading(small, { message_id: `${small}-m` }), bigReading]);
  const problem = expectProblem(res, 422, 'GW_ERR_EVENT_TOO_LARGE');
  expect(problem.index).toBe(1);
  expect(problem.maxMessageSize).toBe(MAX_MESSAGE_SIZE);

  // Partition 0 has sent whatever it held once a later reading of it is acknowledged.
  await gw.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(warm)).expect(200);
  expect(storedEventsOf(gw.emulator, small)).toEqual([]);
  gw.emulator.faults.clearPartitionFaults();
  await Promise.all(waiting);
  expect(storedEventsOf(gw.emulator, big)).toEqual([]);
});
