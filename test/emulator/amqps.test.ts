/**
 * The optional AMQPS listener: the unmodified JS SDK over TLS (no UseDevelopmentEmulator, the
 * certificate trusted through NODE_EXTRA_CA_CERTS, in a child process because node reads that
 * variable at start), the self-signed certificate made once and reused, an operator's PEM pair,
 * fail-closed settings, and the "hub gone" fault covering both listeners.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { startEmulator, type Emulator } from '../../emulator';
import { loadTlsMaterial, tlsOptionsFromEnv } from '../../emulator/tls';
import { REPO_ROOT } from '../support/harness';

/** Producer and consumer with the SDK's public API only; prints what it saw as JSON. */
const SDK_SCRIPT = `
const { EventHubProducerClient, EventHubConsumerClient, earliestEventPosition } = require('@azure/event-hubs');
(async () => {
  const cs = process.argv[1];
  const producer = new EventHubProducerClient(cs);
  const ids = await producer.getPartitionIds();
  const batch = await producer.createBatch({ partitionKey: 'sensor-001' });
  batch.tryAdd({ body: { over: 'tls' }, properties: { via: 'amqps' } });
  await producer.sendBatch(batch);
  await producer.close();
  const consumer = new EventHubConsumerClient('$Default', cs);
  const got = await new Promise((resolve, reject) => {
    const sub = consumer.subscribe('1', {
      processEvents: async (events) => { if (events.length) { await sub.close(); resolve(events[0]); } },
      processError: async (err) => reject(err),
    }, { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 });
  });
  await consumer.close();
  console.log(JSON.stringify({ ids, body: got.body, properties: got.properties, partitionKey: got.partitionKey }));
})().catch((error) => { console.error(error.message); process.exit(1); });
`;

function runNode(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)),
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-amqps-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the AMQPS listener', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, tls: { port: 0, selfSignedDir: join(dir, 'self') } });
  });
  afterAll(() => emulator.close());

  it('when the JS SDK connects over TLS trusting the certificate, then it reads partitions, sends by key and receives', async () => {
    const tlsInfo = emulator.tls!;
    expect(tlsInfo.connectionString).not.toContain('UseDevelopmentEmulator');
    const out = await runNode(['-e', SDK_SCRIPT, tlsInfo.connectionStringFor('RootManageSharedAccessKey')], {
      NODE_EXTRA_CA_CERTS: tlsInfo.certPath,
    });
    expect(JSON.parse(out)).toEqual({
      ids: ['0', '1', '2', '3'],
      body: { over: 'tls' },
      properties: { via: 'amqps' },
      partitionKey: 'sensor-001',
    });
    expect(emulator.store.allEvents('telemetry').map((e) => [e.partitionId, e.partitionKey])).toEqual([
      ['1', 'sensor-001'],
    ]);
  }, 60_000);

  it('when a client does not trust the certificate or speaks plain AMQP to the TLS port, then only that socket is refused', async () => {
    const untrusted = await new Promise<string>((done) => {
      const socket = tls.connect({ host: emulator.host, port: emulator.tls!.port, servername: 'localhost' });
      socket.on('secureConnect', () => done('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    });
    expect(untrusted).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const plain = await new Promise<string>((done) => {
      const socket = net.connect({ host: emulator.host, port: emulator.tls!.port }, () =>
        socket.write(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')),
      );
      socket.on('data', () => done('answered'));
      socket.on('close', () => done('closed'));
      socket.on('error', () => undefined);
    });
    expect(plain).toBe('closed');
    const ca = await readFile(emulator.tls!.certPath, 'utf8');
    const trusted = await new Promise<boolean>((done, fail) => {
      const socket = tls.connect({
        host: emulator.host,
        port: emulator.tls!.port,
        servername: 'localhost',
        ca: [ca],
      });
      socket.on('secureConnect', () => {
        done(socket.authorized);
        socket.destroy();
      });
      socket.on('error', fail);
    });
    expect(trusted).toBe(true);
  });

  it('when the hub is gone and back, then the AMQPS listener is down and up again on the same port', async () => {
    const port = emulator.tls!.port;
    await emulator.faults.stopListening();
    const refused = await new Promise<string>((done) => {
      const socket = net.connect({ host: emulator.host, port }, () => done('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await emulator.faults.startListening();
    const back = await new Promise<string>((done) => {
      const socket = net.connect({ host: emulator.host, port }, () => {
        done('connected');
        socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    });
    expect(back).toBe('connected');
    expect(emulator.tls!.port).toBe(port);
  });
});

describe('certificate material', () => {
  it('when no pair is given, then a self-signed certificate for localhost, 127.0.0.1 and ::1 is made once and reused', async () => {
    const where = join(dir, 'reuse');
    const first = await loadTlsMaterial({ port: 0, selfSignedDir: where });
    const second = await loadTlsMaterial({ port: 0, selfSignedDir: where });
    expect(first.selfSigned).toBe(true);
    expect(second.cert.equals(first.cert)).toBe(true);
    const cert = new X509Certificate(first.cert);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
  });

  it('when the self-signed directory is writable by others, then it is refused rather than trusted', async () => {
    const shared = join(dir, 'shared');
    await mkdir(shared, { mode: 0o777 });
    await chmod(shared, 0o777);
    await expect(loadTlsMaterial({ port: 0, selfSignedDir: shared })).rejects.toThrow(
      /must be a directory of this user that nobody else can write/,
    );
  });

  it('when an operator names a PEM pair, then it is used as is; half a pair or a bad file is refused by name', async () => {
    const made = await loadTlsMaterial({ port: 0, selfSignedDir: join(dir, 'pair') });
    const certFile = join(dir, 'own-cert.pem');
    const keyFile = join(dir, 'own-key.pem');
    await writeFile(certFile, made.cert);
    await writeFile(keyFile, made.key);
    const own = await loadTlsMaterial({ port: 0, certFile, keyFile });
    expect({ certPath: own.certPath, selfSigned: own.selfSigned, same: own.cert.equals(made.cert) }).toEqual({
      certPath: certFile,
      selfSigned: false,
      same: true,
    });
    await expect(loadTlsMaterial({ port: 0, certFile })).rejects.toThrow(
      'tls: certFile and keyFile must be given together',
    );
    await expect(loadTlsMaterial({ port: 0, certFile: join(dir, 'missing.pem'), keyFile })).rejects.toThrow(
      /^tls\.certFile: cannot read '.*missing\.pem': ENOENT$/,
    );
    await expect(loadTlsMaterial({ port: 0, certFile: keyFile, keyFile })).rejects.toThrow(
      /^tls\.certFile: '.*own-key\.pem' is not a PEM certificate$/,
    );
  });

  it('when npm run emulator reads EMULATOR_TLS_*, then contradictions stop it with the variable named', () => {
    expect(tlsOptionsFromEnv({})).toBeUndefined();
    expect(tlsOptionsFromEnv({ EMULATOR_TLS_PORT: '5671' })).toEqual({ port: 5671 });
    expect(() => tlsOptionsFromEnv({ EMULATOR_TLS_CERT: '/c.pem' })).toThrow(
      'EMULATOR_TLS_CERT is set but EMULATOR_TLS_PORT is not',
    );
    expect(() => tlsOptionsFromEnv({ EMULATOR_TLS_PORT: '5671', EMULATOR_TLS_KEY: '/k.pem' })).toThrow(
      'EMULATOR_TLS_CERT is required with EMULATOR_TLS_KEY',
    );
    expect(() => tlsOptionsFromEnv({ EMULATOR_TLS_PORT: 'tls' })).toThrow(
      "EMULATOR_TLS_PORT must be a port number 0..65535, got 'tls'",
    );
  });
});
