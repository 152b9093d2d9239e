/**
 * Live API keys through the real gateway and emulator: API_KEYS_FILE is followed while the gateway
 * runs (no restart): a key revoked with `npm run keys` gets 401 within 5 s and a new one works; a
 * Kubernetes-style Secret update (atomic swap of the `..data` symlink) is picked up; a broken file
 * keeps the keys in force, logs one error naming the problem and sets the reload metrics.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { hashApiKey } from '../../src/auth/key-store';
import { run as keysTool } from '../../src/tools/keys';
import { REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { sampleValue } from '../ops/prometheus-text';
import { newTestKey, type TestKey } from '../security/api-keys';

const LIVE_WITHIN_MS = 5000;

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'live-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fileText = (keys: readonly TestKey[]): string =>
  JSON.stringify({
    keys: keys.map(({ id, key }) => ({
      id,
      sha256: hashApiKey(key),
      scopes: ['events:write'],
      eventTypes: ['telemetry'],
      sensors: ['*'],
    })),
  });

/** Write-then-rename, as `npm run keys` and careful operators do. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function post(gw: TestGateway, key: string): Promise<number> {
  const res = await gw.request
    .post('/v1/events/telemetry')
    .set('Authorization', `Bearer ${key}`)
    .send(reading(uniqueSensorId('live')));
  return res.status;
}

/** Milliseconds until `probe` answers `status`; fails past LIVE_WITHIN_MS. */
async function msUntilStatus(probe: () => Promise<number>, status: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await probe()) === status) return Date.now() - start;
    if (Date.now() - start > LIVE_WITHIN_MS) throw new Error(`not ${status} within ${LIVE_WITHIN_MS} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

const toolLines = (...args: string[]): string[] => {
  const out: string[] = [];
  keysTool([...args, '--types-dir', join(REPO_ROOT, 'schemas')], (line) => out.push(line));
  return out;
};

describe('live API keys', () => {
  it('when a key is revoked and another created with `npm run keys`, then within 5 s the revoked key gets 401 and the new one 200, without a restart', async () => {
    const file = join(dir, 'keys.json');
    const created = (id: string): string =>
      toolLines(
        'create',
        '--id',
        id,
        '--scopes',
        'events:write',
        '--types',
        'telemetry',
        '--sensors',
        '*',
        '--file',
        file,
      )[1]!;
    const oldKey = created('old-device');
    const gw = await startTestGateway({ emulator, env: { API_KEYS_FILE: file } });
    try {
      const server = gw.gateway.server;
      expect(await post(gw, oldKey)).toBe(200);
      toolLines('revoke', '--id', 'old-device', '--file', file);
      const newKey = created('new-device');
      const revokedAfter = await msUntilStatus(() => post(gw, oldKey), 401);
      const acceptedAfter = await msUntilStatus(() => post(gw, newKey), 200);
      expect(revokedAfter).toBeLessThan(LIVE_WITHIN_MS);
      expect(acceptedAfter).toBeLessThan(LIVE_WITHIN_MS);
      expect(gw.gateway.server).toBe(server);
      const reloaded = gw.logs.lines.filter((line) => line.msg === 'API_KEYS_FILE reloaded');
      expect(reloaded.at(-1)).toMatchObject({ keys: 1 });
      expect(reloaded.flatMap((line) => line.removed as string[])).toContain('old-device');
    } finally {
      await gw.close();
    }
  });

  it('when a mounted Secret is updated by swapping its ..data symlink, then the new keys are in force within 5 s', async () => {
    const a = newTestKey('secret-a');
    const b = newTestKey('secret-b');
    // The layout the kubelet writes: keys.json -> ..data/keys.json, ..data -> ..<timestamp>/.
    mkdirSync(join(dir, '..2026_12_01_10_00_00.1'));
    writeFileSync(join(dir, '..2026_12_01_10_00_00.1', 'keys.json'), fileText([a]));
    symlinkSync('..2026_12_01_10_00_00.1', join(dir, '..data'));
    symlinkSync('..data/keys.json', join(dir, 'keys.json'));
    const gw = await startTestGateway({ emulator, env: { API_KEYS_FILE: join(dir, 'keys.json') } });
    try {
      expect(await post(gw, a.key)).toBe(200);
      expect(await post(gw, b.key)).toBe(401);
      // The update: a new timestamped folder, a new symlink renamed over ..data, the old folder removed.
      mkdirSync(join(dir, '..2026_12_01_10_05_00.2'));
      writeFileSync(join(dir, '..2026_12_01_10_05_00.2', 'keys.json'), fileText([b]));
      symlinkSync('..2026_12_01_10_05_00.2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, '..2026_12_01_10_00_00.1'), { recursive: true });
      expect(await msUntilStatus(() => post(gw, b.key), 200)).toBeLessThan(LIVE_WITHIN_MS);
      expect(await post(gw, a.key)).toBe(401);
    } finally {
      await gw.close();
    }
  });

  it('when the file turns invalid, then the previous keys stay in force, one error names the problem, and the metrics say so', async () => {
    const a = newTestKey('keeps-working');
    const file = join(dir, 'keys.json');
    writeFileSync(file, fileText([a]));
    const gw = await startTestGateway({ emulator, env: { API_KEYS_FILE: file } });
    const metric = async (series: string): Promise<number> =>
      sampleValue((await gw.request.get('/metrics')).text, series);
    try {
      expect(await metric('gateway_api_keys_last_reload_success')).toBe(1);
      expect(await metric('gateway_api_keys_loaded')).toBe(1);
      replaceFile(file, '{"keys": [ {"id": "half-written"');
      const errors = () =>
        gw.logs.lines.filter((line) => line.level === 50 && /API_KEYS_FILE/.test(String(line.msg)));
      const start = Date.now();
      while (errors().length === 0 && Date.now() - start < LIVE_WITHIN_MS)
        await new Promise((done) => setTimeout(done, 50));
      // Several poll periods later: still the one error, and the old key still works.
      await new Promise((done) => setTimeout(done, 2500));
      expect(errors()).toHaveLength(1);
      expect(errors()[0]).toMatchObject({
        problem: expect.stringMatching(/not a valid API-key file: not valid JSON/),
      });
      expect(await post(gw, a.key)).toBe(200);
      expect(await metric('gateway_api_keys_reload_failures_total')).toBe(1);
      expect(await metric('gateway_api_keys_last_reload_success')).toBe(0);
      // A schema problem is named by path, and a fixed file is taken again.
      replaceFile(
        file,
        JSON.stringify({ keys: [{ id: 'x', sha256: 'not-a-hash', scopes: ['events:write'] }] }),
      );
      while (errors().length < 2 && Date.now() - start < 2 * LIVE_WITHIN_MS)
        await new Promise((done) => setTimeout(done, 50));
      expect(errors()[1]).toMatchObject({ problem: expect.stringMatching(/keys\[0\]\.sha256 must be 64/) });
      expect(await post(gw, a.key)).toBe(200);
      const b = newTestKey('fixed');
      replaceFile(file, fileText([b]));
      expect(await msUntilStatus(() => post(gw, b.key), 200)).toBeLessThan(LIVE_WITHIN_MS);
      expect(await metric('gateway_api_keys_last_reload_success')).toBe(1);
      expect(await metric('gateway_api_keys_reload_failures_total')).toBe(2);
    } finally {
      await gw.close();
    }
  });

  it('when the file holds an events:write key without sensors or event types, then the gateway names it in a warning', async () => {
    const file = join(dir, 'keys.json');
    const a = newTestKey('complete');
    const entries = [
      {
        id: 'complete',
        sha256: hashApiKey(a.key),
        scopes: ['events:write'],
        eventTypes: ['*'],
        sensors: ['*'],
      },
      {
        id: 'no-sensors',
        sha256: hashApiKey(newTestKey('x').key),
        scopes: ['events:write'],
        eventTypes: ['*'],
      },
      { id: 'no-types', sha256: hashApiKey(newTestKey('y').key), scopes: ['events:write'], sensors: ['*'] },
    ];
    writeFileSync(file, JSON.stringify({ keys: entries }));
    const gw = await startTestGateway({ emulator, env: { API_KEYS_FILE: file } });
    try {
      const warnings = gw.logs.lines.filter(
        (line) => line.level === 40 && /can never write/.test(String(line.msg)),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ keyIds: ['no-sensors', 'no-types'] });
      expect(await post(gw, a.key)).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
