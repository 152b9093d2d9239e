/**
 * Every refusal answers problem+json with its stable code and the request id, and sends nothing:
 * the emulator sees no publication at all while these requests run.
 */
import { gzipSync } from 'node:zlib';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { asIs, expectProblem } from '../support/expectations';

const MAX_BODY_BYTES = 4096;
let t: TestGateway;
let transfersBefore: number;

beforeAll(async () => {
  t = await startTestGateway({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterAll(() => t.close());
beforeEach(() => {
  transfersBefore = t.emulator.faults.counters.transfers;
});
afterEach(() => {
  expect(t.emulator.faults.counters.transfers).toBe(transfersBefore);
});

const post = (type = 'telemetry') => t.request.post(`/v1/events/${type}`).set(DEV_AUTH);

describe('refusals', () => {
  it('when the JSON is malformed, then 400 names line, column and position', async () => {
    const res = await post().type('application/json').send('{\n  "sensor_id": "s",\n  "timestamp": }');
    const body = expectProblem(res, 400, 'GW_ERR_BAD_JSON');
    expect(body).toMatchObject({ line: 3, column: 16, position: 37 });
    expect(body.detail).toContain('line 3, column 16');
  });

  it('when a line of NDJSON is malformed, then 400 names that line', async () => {
    const sensor = uniqueSensorId();
    const res = await post()
      .set('Content-Type', 'application/x-ndjson')
      .send(`${JSON.stringify(reading(sensor))}\n{"sensor_id": "x",}\n`);
    expect(expectProblem(res, 400, 'GW_ERR_BAD_JSON')).toMatchObject({ line: 2 });
  });

  it('when the body is neither an object nor an array, then 400', async () => {
    expectProblem(await post().type('application/json').send('"hello"'), 400, 'GW_ERR_BAD_REQUEST');
  });

  it('when the event type is unknown, then 404 naming the known types', async () => {
    const res = await post('nope').send(reading(uniqueSensorId()));
    expect(expectProblem(res, 404, 'GW_ERR_UNKNOWN_TYPE')).toMatchObject({ knownTypes: ['telemetry'] });
  });

  it('when the body is over the limit, then 413', async () => {
    const sensor = uniqueSensorId();
    const big = JSON.stringify(Array.from({ length: 60 }, () => reading(sensor)));
    expect(big.length).toBeGreaterThan(MAX_BODY_BYTES);
    expectProblem(await post().type('application/json').send(big), 413, 'GW_ERR_BODY_TOO_LARGE');
  });

  it('when a small gzip body inflates past the limit (a zip bomb), then 413 while inflating', async () => {
    const bomb = gzipSync(`[${' '.repeat(3 * 1024 * 1024)}]`);
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const res = await post()
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(asIs)
      .send(bomb);
    expectProblem(res, 413, 'GW_ERR_BODY_TOO_LARGE');
  });

  it('when the content type is not JSON or NDJSON, then 415', async () => {
    const res = await post().set('Content-Type', 'text/plain').send('sensor_id=1');
    expectProblem(res, 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('when the content encoding is not gzip, then 415', async () => {
    const res = await post()
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'br')
      .send(JSON.stringify(reading(uniqueSensorId())));
    expectProblem(res, 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('when one event of a batch is invalid, then 422 lists it by index and pointer and nothing is sent', async () => {
    const sensor = uniqueSensorId();
    const res = await post().send([reading(sensor), reading(sensor, { humidity: 140 }), reading(sensor)]);
    const body = expectProblem(res, 422, 'GW_ERR_VALIDATION');
    expect(body.errors).toEqual([{ index: 1, pointer: '/humidity', message: 'must be <= 100' }]);
  });

  it('when the partition key is too long, then 422 invalid partition key', async () => {
    const res = await post().send(reading('s'.repeat(129)));
    expect(expectProblem(res, 422, 'GW_ERR_PARTITION_KEY').errors).toEqual([
      { index: 0, pointer: '/sensor_id', message: 'partition key must be at most 128 characters' },
    ]);
  });

  it('when the method is not POST, then 405 with Allow', async () => {
    const res = await t.request.get('/v1/events/telemetry').set(DEV_AUTH);
    expectProblem(res, 405, 'GW_ERR_METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('POST');
  });

  it('when the route does not exist, then 404 problem', async () => {
    expectProblem(await t.request.get('/nowhere').set(DEV_AUTH), 404, 'GW_ERR_NOT_FOUND');
  });
});
