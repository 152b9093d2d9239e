/**
 * The emulator's REST send path, driven over HTTP with tokens signed by the gateway's own signer:
 * what is accepted lands in the store with the publisher as partition key; everything else is
 * refused with the service's status and nothing lands.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { LISTEN_POLICY, ROOT_POLICY, SEND_POLICY, type SasPolicy } from '../../emulator/well-known';
import { partitionIndexForKey } from '../../src/partitioning/partition-key';
import { signSas } from '../../src/tokens/sign-sas';

let emulator: Emulator;
let restUrl: string;
let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++seq}`;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, restPort: 0, maxMessageSize: 64 * 1024 });
  restUrl = emulator.restUrl!;
});
afterAll(async () => {
  await emulator.close();
});

const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;
const token = (path: string, policy: SasPolicy = SEND_POLICY, expiresAt = inAnHour()): string =>
  signSas({ resourceUri: `${emulator.endpoint}${path}`, keyName: policy.name, key: policy.key, expiresAt });

const post = (
  path: string,
  auth: string | undefined,
  body: string,
  contentType = 'application/json',
): Promise<Response> =>
  fetch(`${restUrl}/${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(auth === undefined ? {} : { authorization: auth }) },
    body,
  });

const storedFor = (publisher: string) =>
  emulator.store.allEvents('telemetry').filter((e) => e.publisher === publisher);

describe('REST send', () => {
  it('when a publisher token posts to its own publisher, then 201 and the event is stored under that publisher', async () => {
    const publisher = unique('sensor');
    const res = await post(
      `telemetry/publishers/${publisher}/messages`,
      token(`telemetry/publishers/${publisher}`),
      '{"t":21.5}',
    );
    expect(res.status).toBe(201);
    const [event] = storedFor(publisher);
    expect(event?.body.toString()).toBe('{"t":21.5}');
    expect(event?.partitionKey).toBe(publisher);
    expect(event?.partitionId).toBe(String(partitionIndexForKey(publisher, 4)));
  });

  it('when a batch is posted, then every item is stored with its user properties', async () => {
    const publisher = unique('sensor');
    const body = JSON.stringify([{ Body: 'a', UserProperties: { n: 1 } }, { Body: 'b' }]);
    const res = await post(
      `telemetry/publishers/${publisher}/messages`,
      token(`telemetry/publishers/${publisher}`),
      body,
      'application/vnd.microsoft.servicebus.json',
    );
    expect(res.status).toBe(201);
    expect(storedFor(publisher).map((e) => [e.body.toString(), e.applicationProperties])).toEqual([
      ['a', { n: 1 }],
      ['b', {}],
    ]);
  });

  it('when a hub or partition token is used on its own entity, then 201', async () => {
    expect((await post('telemetry/messages', token('telemetry'), 'x')).status).toBe(201);
    expect((await post('telemetry/partitions/2/messages', token('telemetry/Partitions/2'), 'x')).status).toBe(
      201,
    );
    // A hub token covers every publisher under the hub.
    expect((await post(`telemetry/publishers/${unique('p')}/messages`, token('telemetry'), 'x')).status).toBe(
      201,
    );
  });

  it('when a publisher token is used for another publisher, the hub or a partition, then 403 and nothing is stored', async () => {
    const mine = unique('sensor');
    const other = unique('sensor');
    const before = emulator.store.allEvents('telemetry').length;
    const auth = token(`telemetry/publishers/${mine}`);
    expect((await post(`telemetry/publishers/${other}/messages`, auth, 'x')).status).toBe(403);
    expect((await post('telemetry/messages', auth, 'x')).status).toBe(403);
    expect((await post('telemetry/partitions/0/messages', auth, 'x')).status).toBe(403);
    // A token whose publisher name is a prefix of another's does not cover it.
    expect((await post(`telemetry/publishers/${mine}0/messages`, auth, 'x')).status).toBe(403);
    expect(emulator.store.allEvents('telemetry').length).toBe(before);
  });

  it('when the token is missing, malformed, expired, tampered with or signed with the wrong key, then 401', async () => {
    const publisher = unique('sensor');
    const path = `telemetry/publishers/${publisher}`;
    const good = token(path);
    const sig = /sig=([^&]+)/.exec(good)![1]!;
    const flipped = good.replace(`sig=${sig}`, `sig=${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
    const wrongKey = signSas({
      resourceUri: `${emulator.endpoint}${path}`,
      keyName: SEND_POLICY.name,
      key: 'not-the-key',
      expiresAt: inAnHour(),
    });
    for (const auth of [
      undefined,
      'Bearer abc',
      'SharedAccessSignature sr=x',
      token(path, SEND_POLICY, Math.floor(Date.now() / 1000) - 1),
      flipped,
      wrongKey,
    ])
      expect((await post(`${path}/messages`, auth, 'x')).status).toBe(401);
    expect(storedFor(publisher)).toEqual([]);
  });

  it('when the policy lacks Send, then 403', async () => {
    expect((await post('telemetry/messages', token('telemetry', LISTEN_POLICY), 'x')).status).toBe(403);
  });

  it('when the body is over the max message size, bad, for an unknown hub or path, then 413, 400, 404', async () => {
    expect((await post('telemetry/messages', token('telemetry'), 'x'.repeat(64 * 1024 + 1))).status).toBe(
      413,
    );
    expect((await post('telemetry/messages', token('telemetry'), '')).status).toBe(400);
    expect(
      (
        await post(
          'telemetry/messages',
          token('telemetry'),
          '[]',
          'application/vnd.microsoft.servicebus.json',
        )
      ).status,
    ).toBe(400);
    expect((await post('nohub/messages', token('nohub', ROOT_POLICY), 'x')).status).toBe(404);
    expect((await post('telemetry/consumergroups/x/messages', token('telemetry'), 'x')).status).toBe(404);
    const get = await fetch(`${restUrl}/telemetry/messages`, {
      headers: { authorization: token('telemetry') },
    });
    expect(get.status).toBe(405);
  });

  it('when a server-busy fault is injected, then 503 once and then 201', async () => {
    emulator.faults.rejectNextSends(1, 'com.microsoft:server-busy');
    expect((await post('telemetry/messages', token('telemetry'), 'x')).status).toBe(503);
    expect((await post('telemetry/messages', token('telemetry'), 'x')).status).toBe(201);
  });
});
