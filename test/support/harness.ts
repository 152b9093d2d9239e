/**
 * Component-test harness: the real emulator and the real gateway, both on port 0 in the test
 * process, wired through the same `loadConfig` the product uses (so env overrides are tested the
 * way an operator sets them). Logs are captured as parsed JSON lines. Reusable by every feature's
 * tests: pass `env` for configuration, `deps` for extra composition (metrics, auth), or an
 * existing `emulator` to share one between tests of a file.
 */
import { resolve } from 'node:path';
import supertest from 'supertest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator';
import { DEV_API_KEY } from '../../src/auth/dev-key';
import { loadConfig } from '../../src/config/load-config';
import { startGateway, type Gateway, type GatewayDeps } from '../../src/gateway';

export const REPO_ROOT = resolve(__dirname, '../..');

/** Small, fast settings for tests; the SDK's 30 s retry delay would make fault tests crawl. */
export const TEST_ENV: Readonly<Record<string, string>> = Object.freeze({
  PORT: '0',
  HOST: '127.0.0.1',
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  LINGER_MS: '2',
  SEND_MAX_RETRIES: '1',
  SEND_RETRY_DELAY_MS: '20',
  SEND_RETRY_MAX_DELAY_MS: '50',
  REQUEST_DEADLINE_MS: '5000',
  SHUTDOWN_DEADLINE_MS: '5000',
  PARTITION_REFRESH_MS: '60000',
  EVENT_TYPES_DIR: resolve(REPO_ROOT, 'schemas'),
});

/** The development key's header: valid whenever the target is an emulator and no key file is set. */
export const DEV_AUTH: Readonly<Record<string, string>> = Object.freeze({
  Authorization: `Bearer ${DEV_API_KEY}`,
});

export interface LogCapture {
  /** Every line written so far, parsed. */
  readonly lines: readonly Record<string, unknown>[];
  /** Every line as written (to check that no secret appears anywhere). */
  readonly text: () => string;
}

export interface TestGatewayOptions {
  /** Environment overrides on top of TEST_ENV (EVENTHUB_CONNECTION_STRING defaults to the emulator's). */
  readonly env?: Readonly<Record<string, string>>;
  /** Share an emulator (the harness then does not close it); otherwise one is started. */
  readonly emulator?: Emulator;
  readonly emulatorOptions?: EmulatorOptions;
  /** Extra composition for the gateway (metrics observer, device binding, ...). */
  readonly deps?: GatewayDeps;
}

export interface TestGateway {
  /** supertest bound to the gateway's URL: `request.post('/v1/events/telemetry')`. */
  readonly request: ReturnType<typeof supertest>;
  readonly emulator: Emulator;
  readonly gateway: Gateway;
  readonly logs: LogCapture;
  /** Closes the gateway, then the emulator if the harness started it. Idempotent. */
  close(): Promise<void>;
}

export function captureLogs(): LogCapture & { write(line: string): void } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    text: () => raw.join(''),
    write(line: string) {
      raw.push(line);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    },
  };
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownEmulator = options.emulator === undefined;
  const emulator = options.emulator ?? (await startEmulator({ port: 0, ...options.emulatorOptions }));
  const logs = captureLogs();
  let gateway: Gateway;
  try {
    const config = loadConfig({
      ...TEST_ENV,
      EVENTHUB_CONNECTION_STRING: emulator.connectionString,
      ...options.env,
    });
    gateway = await startGateway(config, {
      logDestination: logs,
      printBanner: () => undefined,
      ...options.deps,
    });
  } catch (error) {
    if (ownEmulator) await emulator.close();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    request: supertest(gateway.url),
    emulator,
    gateway,
    logs,
    close() {
      closed ??= (async () => {
        await gateway.close();
        if (ownEmulator) await emulator.close();
      })();
      return closed;
    },
  };
}
