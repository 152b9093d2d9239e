/**
 * Fail closed, through the real entry point: production never runs the embedded emulator and
 * never accepts the development key; every start-up failure is one line naming the setting (a
 * JSON line in production), no stack, exit 1; development and test bind loopback unless HOST.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { DEV_API_KEY } from '../../src/auth/dev-key';
import { reading, uniqueSensorId } from '../support/readings';
import { REPO_ROOT, startTestGateway, TEST_ENV } from '../support/harness';
import { spawnGateway } from '../support/spawn-gateway';
import { newTestKey, writeKeyFile } from '../security/api-keys';

const SCHEMAS = join(REPO_ROOT, 'schemas');

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'fail-closed-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** stderr must be exactly one line; returns it. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as { port: number }).port, server };
}

describe('production fails closed', () => {
  it('when NODE_ENV=production names no Event Hubs target, then it exits 1 with one JSON line and never starts the emulator', async () => {
    const gateway = spawnGateway({
      NODE_ENV: 'production',
      PORT: '0',
      EMULATOR_PORT: '0',
      EVENT_TYPES_DIR: SCHEMAS,
    });
    expect(await gateway.exited).toBe(1);
    const line = JSON.parse(oneLine(gateway.stderr())) as { level: number; msg: string; settings: string[] };
    expect(line.level).toBe(60);
    expect(line.settings).toEqual(
      expect.arrayContaining(['EVENTHUB_CONNECTION_STRING', 'EVENTHUB_FULLY_QUALIFIED_NAMESPACE']),
    );
    expect(line.msg).toMatch(/EVENTHUB_CONNECTION_STRING or EVENTHUB_FULLY_QUALIFIED_NAMESPACE: required/);
    expect(gateway.stdout() + gateway.stderr()).not.toMatch(/DEVELOPMENT MODE|gateway listening/);
  });

  it('when production targets an emulator connection string without API_KEYS_FILE, then it exits 1 naming API_KEYS_FILE', async () => {
    expect(emulator.connectionString).toContain('UseDevelopmentEmulator=true');
    const gateway = spawnGateway({
      NODE_ENV: 'production',
      PORT: '0',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      EVENT_TYPES_DIR: SCHEMAS,
    });
    expect(await gateway.exited).toBe(1);
    const line = JSON.parse(oneLine(gateway.stderr())) as { msg: string; settings: string[] };
    expect(line.settings).toEqual(['API_KEYS_FILE']);
    expect(line.msg).toContain('the development key is never accepted in production');
    expect(gateway.stderr()).not.toContain('SharedAccessKey=');
  });

  it('when production targets an emulator with a key file, then the development key gets 401 and a file key lands its reading', async () => {
    const key = newTestKey('prod-device');
    const gw = await startTestGateway({
      emulator,
      env: { NODE_ENV: 'production', API_KEYS_FILE: writeKeyFile([key]), HOST: '' },
    });
    try {
      expect(gw.gateway.config.auth.developmentMode).toBe(false);
      const sensor = uniqueSensorId();
      const refused = await gw.request
        .post('/v1/events/telemetry')
        .set('Authorization', `Bearer ${DEV_API_KEY}`)
        .send(reading(sensor));
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      const accepted = await gw.request
        .post('/v1/events/telemetry')
        .set('Authorization', `Bearer ${key.key}`)
        .send(reading(sensor));
      expect(accepted.status).toBe(200);
      const landed = emulator.store
        .allEvents('telemetry')
        .filter((e) => e.body.toString('utf8').includes(`"${sensor}"`));
      expect(landed).toHaveLength(1);
      // Production without HOST binds every interface (the container's default).
      expect((gw.gateway.server.address() as { address: string }).address).toBe('0.0.0.0');
    } finally {
      await gw.close();
    }
  });
});

describe('development binds loopback', () => {
  it("when NODE_ENV=development and HOST is unset, then `npm start`'s entry point listens on 127.0.0.1 only", async () => {
    const gateway = spawnGateway({
      NODE_ENV: 'development',
      PORT: '0',
      EMULATOR_PORT: '0',
      EVENT_TYPES_DIR: SCHEMAS,
    });
    try {
      // Development logs are pretty; the listening line still carries the URL.
      await new Promise<void>((done, fail) => {
        const timer = setInterval(() => {
          if (/gateway listening/.test(gateway.stdout())) {
            clearInterval(timer);
            done();
          }
        }, 50);
        void gateway.exited.then((code) => {
          clearInterval(timer);
          fail(new Error(`exited ${code}: ${gateway.stderr()}`));
        });
      });
      // eslint-disable-next-line no-control-regex
      const plain = gateway.stdout().replace(/\u001b\[[0-9;]*m/g, '');
      expect(plain).toMatch(/url: "http:\/\/127\.0\.0\.1:\d+"/);
      expect(gateway.stderr()).toContain(`Authorization: Bearer ${DEV_API_KEY}`);
    } finally {
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    }
  });

  it('when HOST is unset in development, then the server binds 127.0.0.1; when set, then HOST', async () => {
    const gw = await startTestGateway({ emulator, env: { NODE_ENV: 'development', HOST: '' } });
    try {
      expect((gw.gateway.server.address() as { address: string }).address).toBe('127.0.0.1');
    } finally {
      await gw.close();
    }
    const any = await startTestGateway({ emulator, env: { NODE_ENV: 'development', HOST: '0.0.0.0' } });
    try {
      expect((any.gateway.server.address() as { address: string }).address).toBe('0.0.0.0');
    } finally {
      await any.close();
    }
  });
});

describe('start-up failures are one line naming the setting', () => {
  const base = { ...TEST_ENV, PORT: '0', EVENT_TYPES_DIR: SCHEMAS };

  it('when API_KEYS_FILE does not exist, then it is named', async () => {
    const gateway = spawnGateway({
      ...base,
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: join(dir, 'missing.json'),
    });
    expect(await gateway.exited).toBe(1);
    expect(oneLine(gateway.stderr())).toMatch(/^API_KEYS_FILE .*missing\.json cannot be read: ENOENT/);
  });

  it('when API_KEYS_FILE does not exist and WORKERS=2, then it is still one line (the primary checks first)', async () => {
    const gateway = spawnGateway({
      ...base,
      WORKERS: '2',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: join(dir, 'missing.json'),
    });
    expect(await gateway.exited).toBe(1);
    expect(oneLine(gateway.stderr())).toMatch(/^API_KEYS_FILE .*missing\.json cannot be read: ENOENT/);
    expect(gateway.stdout()).not.toMatch(/worker/);
  });

  it('when API_KEYS_FILE is invalid, then every problem is on the one line', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ keys: [{ id: 'a', sha256: 'nope', scopes: ['admin'] }] }));
    const gateway = spawnGateway({
      ...base,
      NODE_ENV: 'production',
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      API_KEYS_FILE: file,
    });
    expect(await gateway.exited).toBe(1);
    const line = JSON.parse(oneLine(gateway.stderr())) as { msg: string; settings: string[] };
    expect(line.settings).toEqual(['API_KEYS_FILE']);
    expect(line.msg).toMatch(/not a valid API-key file: .*sha256 must be .*; .*scopes has unknown value/);
  });

  it('when PORT is in use, then PORT is named', async () => {
    const { port, server } = await occupiedPort();
    try {
      const gateway = spawnGateway({
        ...base,
        PORT: String(port),
        EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      });
      expect(await gateway.exited).toBe(1);
      expect(oneLine(gateway.stderr())).toBe(`PORT: 127.0.0.1:${port} is already in use (EADDRINUSE)`);
    } finally {
      server.close();
    }
  });

  it("when the embedded emulator's port is in use, then EMULATOR_PORT is named", async () => {
    const { port, server } = await occupiedPort();
    try {
      const gateway = spawnGateway({ ...base, EMULATOR_PORT: String(port) });
      expect(await gateway.exited).toBe(1);
      expect(oneLine(gateway.stderr())).toBe(
        `EMULATOR_PORT: 127.0.0.1:${port} is already in use (EADDRINUSE)`,
      );
    } finally {
      server.close();
    }
  });
});
