/**
 * When the hub refuses or is gone, no request gets a success; when it comes back, requests
 * succeed again. A full buffer answers 503 with Retry-After at once instead of queueing.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { expectProblem, storedEventsOf } from '../support/expectations';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

describe('when the hub fails', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // SEND_MAX_RETRIES=1: a batch gets two attempts.
    t = await startTestGateway({ emulator, env: { SEND_MAX_RETRIES: '1', REQUEST_DEADLINE_MS: '3000' } });
  });
  afterAll(() => t.close());

  it('when the emulator rejects every attempt, then 503 send failed and nothing succeeds; then recovery', async () => {
    const sensor = uniqueSensorId();
    emulator.faults.rejectNextSends(2, 'com.microsoft:server-busy');
    const failed = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send([reading(sensor), reading(sensor)]);
    const problem = expectProblem(failed, 503, 'GW_ERR_SEND_FAILED');
    expect(problem.retryable).toBe(true);
    expect(failed.headers['retry-after']).toMatch(/^\d+$/);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(0);

    const ok = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .send([reading(sensor), reading(sensor)]);
    expect(ok.status).toBe(200);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(2);
  });

  it('when one attempt is rejected with a transient error, then the retry lands it and the client sees 200', async () => {
    const sensor = uniqueSensorId();
    emulator.faults.rejectNextSends(1, 'com.microsoft:server-busy');
    const res = await t.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(sensor));
    expect(res.status).toBe(200);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(1);
  });

  it('when the emulator is down, then 503 and no success; when it is back, then 200', async () => {
    const sensor = uniqueSensorId();
    await emulator.faults.stopListening();
    try {
      const down = await t.request.post('/v1/events/telemetry').set(DEV_AUTH).send(reading(sensor));
      expect(down.status).toBe(503);
      expectProblem(down, 503, (down.body as { code: string }).code);
      expect(['GW_ERR_SEND_FAILED', 'GW_ERR_DEADLINE', 'GW_ERR_UNAVAILABLE']).toContain(
        (down.body as { code: string }).code,
      );
    } finally {
      await emulator.faults.startListening();
    }
    // The producer reconnects on its own; poll with a deadline rather than sleep.
    const deadline = Date.now() + 15000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (
        await t.request
          .post('/v1/events/telemetry')
          .set(DEV_AUTH)
          .send(reading(sensor, { message_id: `${sensor}-back` }))
      ).status;
    }
    expect(status).toBe(200);
    expect(storedEventsOf(emulator, sensor).some((e) => e.messageId === `${sensor}-back`)).toBe(true);
  });
});

describe('when the buffer is full', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      emulator,
      env: { MAX_BUFFERED_BYTES: '8192', REQUEST_DEADLINE_MS: '3000' },
    });
  });
  afterAll(() => t.close());

  it('when a request would pass MAX_BUFFERED_BYTES, then 503 buffer full with Retry-After at once, and nothing is sent', async () => {
    const sensor = uniqueSensorId();
    const many = Array.from({ length: 100 }, () => reading(sensor));
    const res = await t.request.post('/v1/events/telemetry').set(DEV_AUTH).send(many);
    expectProblem(res, 503, 'GW_ERR_BUFFER_FULL');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(storedEventsOf(emulator, sensor)).toHaveLength(0);
  });

  it('when the hub holds the buffer and more arrives, then the newcomer gets 503 while the first still succeeds', async () => {
    const sensor = uniqueSensorId();
    emulator.faults.delayDispositions(500);
    try {
      const first = t.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .send(Array.from({ length: 20 }, () => reading(sensor)));
      const firstDone = first.then((r) => r);
      // Wait until the gateway holds the first request's bytes, then send the second.
      const deadline = Date.now() + 3000;
      while (t.gateway.batcher.stats.bufferedBytes === 0 && Date.now() < deadline) {
        await new Promise((r) => setImmediate(r));
      }
      const second = await t.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .send(Array.from({ length: 20 }, () => reading(sensor)));
      expectProblem(second, 503, 'GW_ERR_BUFFER_FULL');
      expect((await firstDone).status).toBe(200);
    } finally {
      emulator.faults.delayDispositions(0);
    }
  });

  it('when the hub does not answer within REQUEST_DEADLINE_MS, then 503 deadline', async () => {
    const deadlineGateway = await startTestGateway({ emulator, env: { REQUEST_DEADLINE_MS: '200' } });
    emulator.faults.delayDispositions(1500);
    try {
      const res = await deadlineGateway.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .send(reading(uniqueSensorId()));
      expectProblem(res, 503, 'GW_ERR_DEADLINE');
    } finally {
      emulator.faults.delayDispositions(0);
      await deadlineGateway.close();
    }
  });
});
