/**
 * Identifiers through the real gateway: the shipped telemetry schema accepts only safe sensor ids
 * (422 for control characters, dot segments, non-ASCII), and a prefix grant never covers an
 * unsafe id even when an event type's own schema lets it through (403, nothing sent).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { hashApiKey } from '../../src/auth/key-store';
import { SAFE_NAME_MAX_LENGTH, SAFE_NAME_PATTERN } from '../../src/auth/safe-name';
import { REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { newTestKey } from './api-keys';

const UNSAFE = [
  'plant-a/../plant-b/s1',
  'plant-a/./s1',
  'plant-a//s1',
  'plant-a/s1/',
  'plant-a/s\u00001',
  'plant-a/s\u001b[31m1',
  'plant-a/caf\u00e9',
  'plant-a/cafe\u0301',
  'plant-a/s 1',
  'plant-a/%2e%2e',
];

let emulator: Emulator;
let dir: string;
let gw: TestGateway;
const fleet = newTestKey('fleet-a');

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'identifiers-'));
  // The shipped telemetry type, plus a type whose own schema accepts any string id.
  const types = join(dir, 'types');
  mkdirSync(types);
  for (const name of ['telemetry.schema.json', 'telemetry.settings.json'])
    copyFileSync(join(REPO_ROOT, 'schemas', name), join(types, name));
  writeFileSync(
    join(types, 'loose.schema.json'),
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' } },
    }),
  );
  writeFileSync(
    join(types, 'loose.settings.json'),
    JSON.stringify({ partitionKey: '/id', schemaVersion: '1' }),
  );
  const keys = join(dir, 'keys.json');
  writeFileSync(
    keys,
    JSON.stringify({
      keys: [
        {
          id: fleet.id,
          sha256: hashApiKey(fleet.key),
          scopes: ['events:write'],
          eventTypes: ['*'],
          sensors: ['plant-a/*'],
        },
      ],
    }),
  );
  gw = await startTestGateway({ emulator, env: { API_KEYS_FILE: keys, EVENT_TYPES_DIR: types } });
});
afterAll(async () => {
  await gw?.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (type: string, body: object) =>
  gw.request.post(`/v1/events/${type}`).set('Authorization', `Bearer ${fleet.key}`).send(body);

describe('identifiers', () => {
  it('when the shipped schema is read, then sensor_id carries the safe-name pattern', () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/telemetry.schema.json'), 'utf8'));
    expect(schema.properties.sensor_id).toMatchObject({ pattern: SAFE_NAME_PATTERN });
    // The length (128) is the partition key's rule (GW_ERR_PARTITION_KEY), and the grants' too.
    expect(SAFE_NAME_MAX_LENGTH).toBe(128);
  });

  it('when a telemetry sensor id is unsafe, then the schema refuses it with 422 and nothing lands', async () => {
    const before = emulator.store.allEvents('telemetry').length;
    for (const sensor of UNSAFE) {
      const res = await send('telemetry', { sensor_id: sensor, timestamp: '2026-12-01T10:00:00Z' });
      expect([sensor, res.status]).toEqual([sensor, 422]);
      expect(res.body.errors[0]).toMatchObject({ pointer: '/sensor_id' });
    }
    const ok = await send('telemetry', {
      sensor_id: 'plant-a/line.1/s-1',
      timestamp: '2026-12-01T10:00:00Z',
    });
    expect(ok.status).toBe(200);
    expect(emulator.store.allEvents('telemetry').length).toBe(before + 1);
  });

  it("when a type's own schema lets an unsafe id through, then the plant-a/* grant does not cover it (403)", async () => {
    const before = emulator.store.allEvents('telemetry').length;
    for (const sensor of UNSAFE) {
      const res = await send('loose', { id: sensor });
      expect([sensor, res.status]).toEqual([sensor, 403]);
    }
    expect((await send('loose', { id: 'plant-a/s1' })).status).toBe(200);
    expect(emulator.store.allEvents('telemetry').length).toBe(before + 1);
  });
});
