/**
 * Secrets never reach a log: the captured log output of a sequence of requests that carry API
 * keys (both headers, right and wrong), Basic credentials, a SAS signature in the URL, SAS tokens
 * in bodies and in a refused send's error, and an issued token, contains none of them.
 */
import { ROOT_POLICY, SEND_POLICY } from '../../emulator/well-known';
import { reading, uniqueSensorId } from '../support/readings';
import { startTestGateway, type TestGateway } from '../support/harness';
import { newTestKey, writeKeyFile } from './api-keys';

const GOOD = newTestKey('logged-client');
const WRONG = newTestKey('not-in-file');
const SIG = 'Zm9yZ2VkLXNpZ25hdHVyZS1mb3ItbG9nLXRlc3Rz%2B%3D';
const SAS = `SharedAccessSignature sr=sb%3A%2F%2Fns%2Fhub&sig=${SIG}&se=1999999999&skn=${SEND_POLICY.name}`;
const BASIC = Buffer.from('user:hunter2-password').toString('base64');

describe('log redaction', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ env: { API_KEYS_FILE: writeKeyFile([GOOD]), LOG_LEVEL: 'debug' } });
  });
  afterAll(() => t.close());

  it('when requests carry keys, tokens and signatures, then the log holds none of them', async () => {
    const body = (fields = {}) => JSON.stringify([reading(uniqueSensorId(), fields)]);
    const send = (path = '/v1/events/telemetry') =>
      t.request.post(path).set('Content-Type', 'application/json');

    expect((await send().set('Authorization', `Bearer ${GOOD.key}`).send(body())).status).toBe(200);
    expect((await send().set('X-API-Key', GOOD.key).send(body())).status).toBe(200);
    expect((await send().set('Authorization', `Bearer ${WRONG.key}`).send(body())).status).toBe(401);
    expect((await send().set('X-API-Key', WRONG.key).send(body())).status).toBe(401);
    expect((await send().set('Authorization', `Basic ${BASIC}`).send(body())).status).toBe(401);
    // A signature in the query string (the URL is in every access-log line).
    expect(
      (await send(`/v1/events/telemetry?sv=1&sig=${SIG}&se=1`).set('X-API-Key', GOOD.key).send(body()))
        .status,
    ).toBe(200);
    // A SAS token inside a body that fails validation (errors quote field names, not values).
    expect(
      (
        await send()
          .set('X-API-Key', GOOD.key)
          .send(body({ temperature: SAS }))
      ).status,
    ).toBe(422);
    // A send the hub refuses: the error path logs the SDK's error.
    t.emulator.faults.rejectNextSends(5, 'amqp:unauthorized-access', `token ${SAS} rejected`);
    const refused = await send().set('X-API-Key', GOOD.key).send(body());
    expect(refused.status).toBeGreaterThanOrEqual(500);
    // An issued token travels in the response only.
    const token = await t.request
      .post('/v1/tokens')
      .set('X-API-Key', GOOD.key)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ publisher: 'sensor-logged' }));
    expect(token.status).toBe(200);
    const issued = JSON.stringify(token.body);
    const issuedSig = /sig=([^&"]+)/.exec(issued)?.[1];
    expect(issuedSig).toBeDefined();

    const log = t.logs.text();
    expect(t.logs.lines.length).toBeGreaterThan(8);
    for (const secret of [GOOD.key, WRONG.key, BASIC, SIG, ROOT_POLICY.key, SEND_POLICY.key, issuedSig!]) {
      expect(log).not.toContain(secret);
    }
    expect(log).toContain('[REDACTED]');
  });
});
