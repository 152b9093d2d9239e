/**
 * SIGHUP re-reads API_KEYS_FILE on every worker: the real entry point with WORKERS=2, the signal
 * sent to the primary only (as `kill -HUP <pid>` or a container runtime does). Each worker logs
 * its reload, the process keeps serving, and a revoked key is refused by every worker.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { hashApiKey } from '../../src/auth/key-store';
import { REPO_ROOT, TEST_ENV } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';
import { spawnGateway } from '../support/spawn-gateway';
import { newTestKey, type TestKey } from '../security/api-keys';

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sighup-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

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

/** One POST on a fresh connection (so the cluster spreads them over the workers). */
function post(url: string, key: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      `${url}/v1/events/telemetry`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(reading(uniqueSensorId('hup'))));
  });
}

const reloadLines = (stdout: string): { pid: number; reason: string }[] =>
  stdout
    .split('\n')
    .filter((line) => line.includes('"msg":"API_KEYS_FILE reloaded"'))
    .map((line) => JSON.parse(line) as { pid: number; reason: string });

it('when the primary gets SIGHUP, then every worker re-reads API_KEYS_FILE and keeps serving; a revoked key is refused by all', async () => {
  const a = newTestKey('hup-a');
  const b = newTestKey('hup-b');
  const file = join(dir, 'keys.json');
  writeFileSync(file, fileText([a, b]));
  const gateway = spawnGateway({
    ...TEST_ENV,
    EVENT_TYPES_DIR: join(REPO_ROOT, 'schemas'),
    WORKERS: '2',
    EVENTHUB_CONNECTION_STRING: emulator.connectionString,
    API_KEYS_FILE: file,
  });
  try {
    const url = await gateway.listening;
    // Both workers listen before the test goes on.
    for (let i = 0; i < 100 && (gateway.stdout().match(/"msg":"gateway listening"/g) ?? []).length < 2; i++)
      await new Promise((done) => setTimeout(done, 50));
    gateway.child.kill('SIGHUP');
    for (let i = 0; i < 100 && reloadLines(gateway.stdout()).length < 2; i++)
      await new Promise((done) => setTimeout(done, 50));
    const lines = reloadLines(gateway.stdout());
    expect(lines.map((line) => line.reason)).toEqual(['SIGHUP', 'SIGHUP']);
    expect(new Set(lines.map((line) => line.pid)).size).toBe(2);
    expect(gateway.child.exitCode).toBeNull();
    expect(await post(url, a.key)).toBe(200);

    // Revoke b; within 5 s no worker accepts it (8 fresh connections reach both workers).
    writeFileSync(`${file}.tmp`, fileText([a]));
    renameSync(`${file}.tmp`, file);
    gateway.child.kill('SIGHUP');
    const start = Date.now();
    let statuses: number[] = [];
    while (Date.now() - start < 5000) {
      statuses = await Promise.all(Array.from({ length: 8 }, () => post(url, b.key)));
      if (statuses.every((status) => status === 401)) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(statuses).toEqual(Array(8).fill(401));
    expect(await post(url, a.key)).toBe(200);
  } finally {
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  }
});
