/**
 * EMULATOR_TLS_*: the embedded emulator's AMQPS listener is asked for by its port; the
 * certificate settings come in pairs, and none of them is accepted next to an Azure target.
 * Through the real gateway: the banner names the AMQPS connection string and the certificate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { startEmulator } from '../../emulator';
import { startGateway } from '../../src/gateway';
import { TEST_ENV, captureLogs } from '../support/harness';

const CS = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('EMULATOR_TLS_* settings', () => {
  it('when EMULATOR_TLS_PORT is set, then the embedded emulator gets an AMQPS listener (self-signed unless a pair is named)', () => {
    const selfSigned = loadConfig({ EMULATOR_TLS_PORT: '5671' }).target;
    expect(selfSigned.kind === 'embedded-emulator' && selfSigned.tls).toEqual({ port: 5671 });
    const own = loadConfig({
      EMULATOR_TLS_PORT: '5671',
      EMULATOR_TLS_CERT: '/c.pem',
      EMULATOR_TLS_KEY: '/k.pem',
    });
    expect(own.target.kind === 'embedded-emulator' && own.target.tls).toEqual({
      port: 5671,
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    const none = loadConfig({}).target;
    expect(none.kind === 'embedded-emulator' && none.tls).toBeUndefined();
  });

  it('when the settings contradict each other or the target, then each one is named', () => {
    expect(problemsOf({ EMULATOR_TLS_PORT: '5671', EMULATOR_TLS_CERT: '/c.pem' })).toEqual([
      'EMULATOR_TLS_CERT and EMULATOR_TLS_KEY: set both or neither',
    ]);
    expect(problemsOf({ EMULATOR_TLS_KEY: '/k.pem', EMULATOR_TLS_DIR: '/tmp/x' })).toEqual([
      'EMULATOR_TLS_KEY: needs EMULATOR_TLS_PORT',
      'EMULATOR_TLS_DIR: needs EMULATOR_TLS_PORT',
    ]);
    expect(
      problemsOf({
        EMULATOR_TLS_PORT: '5671',
        EMULATOR_TLS_CERT: '/c.pem',
        EMULATOR_TLS_KEY: '/k.pem',
        EMULATOR_TLS_DIR: '/tmp/x',
      }),
    ).toEqual(['EMULATOR_TLS_DIR: only for the self-signed certificate; it contradicts EMULATOR_TLS_CERT']);
    expect(problemsOf({ EMULATOR_TLS_PORT: '70000' })[0]).toMatch(/^EMULATOR_TLS_PORT: /);
    expect(
      problemsOf({ EVENTHUB_CONNECTION_STRING: CS, EVENTHUB_NAME: 'hub', EMULATOR_TLS_PORT: '5671' }),
    ).toEqual([
      'EMULATOR_TLS_PORT: only for the embedded emulator; unset it with EVENTHUB_CONNECTION_STRING',
    ]);
  });

  it('when the gateway starts its emulator with EMULATOR_TLS_PORT, then the banner gives the AMQPS connection string and the certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-tls-'));
    let banner = '';
    const gateway = await startGateway(
      loadConfig({ ...TEST_ENV, EMULATOR_PORT: '0', EMULATOR_TLS_PORT: '0', EMULATOR_TLS_DIR: dir }),
      {
        logDestination: captureLogs(),
        printBanner: (text) => (banner += text),
        // jest cannot run the gateway's dynamic import; this is the same call without it.
        startEmulator: ({ host, port, tls }) => startEmulator({ host, port, ...(tls ? { tls } : {}) }),
      },
    );
    try {
      const tls = gateway.emulator?.tls;
      expect(tls?.certPath).toBe(join(dir, 'emulator-cert.pem'));
      expect(banner).toContain(tls?.connectionString);
      expect(banner).toContain(`Certificate to trust (Python: connection_verify=...): ${tls?.certPath}`);
      expect(tls?.connectionString).toMatch(
        new RegExp(
          `^Endpoint=sb://127\\.0\\.0\\.1:${tls?.port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[^;]+;EntityPath=telemetry$`,
        ),
      );
    } finally {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
