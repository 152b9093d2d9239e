/**
 * A client that hangs up while its request waits for the hub's acknowledgement: its events that
 * were not sent yet are withdrawn, so they never reach the hub, and the gateway keeps serving.
 * The hub holds back the disposition of a batch already in flight on the partition, so a second
 * request's readings wait behind it in the open batch when their client hangs up. (Events already
 * handed to the SDK cannot be recalled; the first request's are, and they land.)
 */
import { connect, type Socket } from 'node:net';
import { startEmulator, type Emulator } from '../../emulator';
import type { Receipt } from '../../src/ingest/ingest-route';
import { pollUntil, sampleValue } from '../ops/prometheus-text';
import { storedEventsOf } from '../support/expectations';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { readings, uniqueSensorId, type Reading } from '../support/readings';

/**
 * How long the hub holds the first batch's disposition. Only the set-up below (two local requests
 * and a hang-up, milliseconds) must fit in it; every step waits on an observable condition. It
 * stays under the gateway's send-attempt floor (1 s): a disposition held longer makes the gateway
 * presume the link dead and resend the batch on a fresh connection (at-least-once, same message ids).
 */
const HELD_DISPOSITION_MS = 700;

let emulator: Emulator;
let t: TestGateway;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  t = await startTestGateway({ emulator });
});
afterAll(async () => {
  emulator.faults.delayDispositions(0);
  try {
    await t.close();
  } finally {
    await emulator.close();
  }
});

const post = (events: Reading[]) => t.request.post('/v1/events/telemetry').set(DEV_AUTH).send(events);

/** Events of one partition the batcher still holds (queued, in the open batch, or in flight). */
const heldOn = (partitionId: string): number =>
  t.gateway.batcher.stats.perPartition.get(partitionId)?.events ?? 0;

const scrape = async (): Promise<string> => (await t.request.get('/metrics')).text;
const ACCEPTED = 'gateway_events_accepted_total{type="telemetry"}';
const bufferedGauge = async (partitionId: string): Promise<number> =>
  sampleValue(await scrape(), `gateway_buffered_events{hub="telemetry",partition="${partitionId}"}`);

const storedIds = (sensor: string): string[] =>
  storedEventsOf(emulator, sensor).map((event) => String(event.messageId));

/** Writes a whole request over a raw TCP connection and leaves it open, to hang up on later. */
function sendAndHold(events: Reading[]): { socket: Socket; received: () => string; errors: Error[] } {
  const body = JSON.stringify(events);
  const { hostname, port } = new URL(t.gateway.url);
  const socket = connect(Number(port), hostname);
  let received = '';
  const errors: Error[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', (error) => errors.push(error));
  socket.write(
    [
      'POST /v1/events/telemetry HTTP/1.1',
      `Host: ${hostname}:${port}`,
      `Authorization: ${DEV_AUTH.Authorization}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  return { socket, received: () => received, errors };
}

describe('when a client hangs up while its request waits for Event Hubs', () => {
  it('then its unsent readings never reach the hub, the request ahead still gets its receipt, and the gateway keeps serving', async () => {
    const sensor = uniqueSensorId('hangup');
    const tagged = (name: string, n: number): Reading[] =>
      readings(sensor, n).map((r, i) => ({ ...r, message_id: `${sensor}-${name}-${i}` }));
    const idsOf = (events: Reading[]): string[] => events.map((e) => String(e.message_id));
    const acceptedBefore = sampleValue(await scrape(), ACCEPTED);
    const logsBefore = t.logs.lines.length;

    // Learn the sensor's partition (and attach its link) before any fault.
    const warmUp = tagged('warm-up', 1);
    const warmUpRes = await post(warmUp);
    expect(warmUpRes.status).toBe(200);
    const partitionId = (warmUpRes.body as Receipt).events[0]!.partitionId;

    emulator.faults.delayDispositions(HELD_DISPOSITION_MS);
    const first = tagged('first', 3);
    let firstAnswered = false;
    const firstResponse = post(first).then((res) => {
      firstAnswered = true;
      return res;
    });
    // The first batch is in flight: the hub stored it and holds back its disposition.
    await pollUntil(
      () => Promise.resolve(storedIds(sensor)),
      (ids) => idsOf(first).every((id) => ids.includes(id)),
    );

    // The second request's readings (same sensor, same partition) wait behind that batch.
    const gone = tagged('gone', 5);
    const client = sendAndHold(gone);
    await pollUntil(
      () => Promise.resolve(heldOn(partitionId)),
      (n) => n === first.length + gone.length,
    );
    // Still both waiting: the first batch is not acknowledged, the second request not answered.
    expect({ firstAnswered, answer: client.received(), errors: client.errors }).toEqual({
      firstAnswered: false,
      answer: '',
      errors: [],
    });

    client.socket.destroy();

    // The gateway lets go of the withdrawn readings at once, while the first batch still waits: its
    // buffered-events gauge drops to the first request's readings alone. (Read now, asserted below,
    // after what landed in the hub, which says most plainly what went wrong.)
    const atWithdrawal = await pollUntil(
      async () => ({ buffered: await bufferedGauge(partitionId), firstAnswered }),
      (seen) => seen.buffered === first.length || seen.firstAnswered,
    );

    emulator.faults.delayDispositions(0);

    // The request ahead gets its receipt: its batch was already with the hub.
    const firstRes = await firstResponse;
    expect(firstRes.status).toBe(200);
    expect(firstRes.body as Receipt).toEqual(
      expect.objectContaining({
        count: first.length,
        events: idsOf(first).map((messageId) => ({ messageId, partitionId })),
      }),
    );

    // The gateway keeps serving, on the same partition, behind the withdrawn readings' place.
    const later = tagged('later', 2);
    const laterRes = await post(later);
    expect(laterRes.status).toBe(200);

    // What landed in the hub, in partition order: everything except the hung-up request's readings.
    expect(storedIds(sensor)).toEqual([...idsOf(warmUp), ...idsOf(first), ...idsOf(later)]);
    expect(atWithdrawal).toEqual({ buffered: first.length, firstAnswered: false });
    expect(heldOn(partitionId)).toBe(0);
    expect(await bufferedGauge(partitionId)).toBe(0);
    // Counted as accepted: only the readings that were acknowledged and answered 200.
    expect(sampleValue(await scrape(), ACCEPTED) - acceptedBefore).toBe(
      warmUp.length + first.length + later.length,
    );
    // The hang-up is the client's doing, not a gateway failure: nothing logged as an error. Its
    // access-log line says the client closed the request (499), not the 200 it never received.
    const lines = t.logs.lines.slice(logsBefore);
    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    const ingestLines = lines.map((line) => String(line.msg)).filter((msg) => msg.startsWith('POST '));
    expect(ingestLines.sort()).toEqual([
      ...Array<string>(3).fill('POST /v1/events/telemetry 200'),
      'POST /v1/events/telemetry 499',
    ]);
  });
});
