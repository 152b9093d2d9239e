/**
 * `npm run emulator`: the emulator as a standalone process, with the REST send API beside AMQP.
 *
 *   EMULATOR_HOST       interface for both listeners (default 127.0.0.1: loopback only; the
 *                       emulator checks SAS tokens but has no TLS, so widen it knowingly)
 *   EMULATOR_PORT       AMQP port (default 5672; 0 = any free port)
 *   EMULATOR_REST_PORT  REST send API port (default 5673; 0 = any free port; `off` = none)
 *   EMULATOR_HUBS       hubs as name:partitions, comma separated (default telemetry:4,dead-letter:2)
 *   EMULATOR_TLS_PORT   AMQPS listener (see tls.ts for EMULATOR_TLS_CERT/KEY/DIR)
 *
 * Prints the connection string on a stdout line starting with `Endpoint=sb://` (then the AMQPS one
 * when EMULATOR_TLS_PORT is set), and on stderr what
 * a gateway pointed at it needs (EVENTHUB_CONNECTION_STRING, EVENTHUB_REST_URL so publisher tokens
 * carry a `restUrl`, DEAD_LETTER_EVENTHUB_NAME when a dead-letter hub exists). Closes cleanly on
 * SIGINT/SIGTERM. The only module of the emulator that reads the environment.
 */
import { parseHubList } from './config';
import { startEmulator } from './index';
import { tlsOptionsFromEnv, type TlsOptions } from './tls';
import { DEFAULT_AMQP_PORT, DEFAULT_DEAD_LETTER_HUB } from './well-known';

export const DEFAULT_REST_PORT = 5673;
export const DEFAULT_HUBS = 'telemetry:4,dead-letter:2';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${name} must be a port number 0..65535, got '${raw}'`);
  }
  return port;
}

function restPortFromEnv(): number | false {
  return process.env.EMULATOR_REST_PORT?.trim().toLowerCase() === 'off'
    ? false
    : portFromEnv('EMULATOR_REST_PORT', DEFAULT_REST_PORT);
}

function tlsSettings(): { tls?: TlsOptions } {
  const tls = tlsOptionsFromEnv(process.env);
  return tls ? { tls } : {};
}

async function main(): Promise<void> {
  const hubs = parseHubList(process.env.EMULATOR_HUBS?.trim() || DEFAULT_HUBS);
  const emulator = await startEmulator({
    host: process.env.EMULATOR_HOST ?? '127.0.0.1',
    port: portFromEnv('EMULATOR_PORT', DEFAULT_AMQP_PORT),
    restPort: restPortFromEnv(),
    hubs,
    ...tlsSettings(),
  });
  const names = emulator.config.hubs.map((h) => `${h.name} (${h.partitionCount} partitions)`).join(', ');
  const rest = emulator.restUrl === undefined ? '' : `; REST send API on ${emulator.restUrl}`;
  process.stderr.write(
    `Event Hubs emulator listening on ${emulator.host}:${emulator.port}${rest}; hubs: ${names}\n`,
  );
  process.stdout.write(`${emulator.connectionString}\n`);
  if (emulator.tls) {
    process.stderr.write(
      `AMQPS on ${emulator.host}:${emulator.tls.port}; clients trust ${emulator.tls.certPath}${emulator.tls.selfSigned ? ' (self-signed)' : ''}\n`,
    );
    process.stdout.write(`${emulator.tls.connectionStringFor('RootManageSharedAccessKey')}\n`);
  }
  const deadLetter = emulator.config.hubs.find((h) => h.name === DEFAULT_DEAD_LETTER_HUB);
  process.stderr.write(
    [
      'A gateway pointed at this emulator:',
      `  EVENTHUB_CONNECTION_STRING='${emulator.connectionString}'`,
      ...(emulator.restUrl === undefined ? [] : [`  EVENTHUB_REST_URL=${emulator.restUrl}`]),
      ...(deadLetter === undefined ? [] : [`  DEAD_LETTER_EVENTHUB_NAME=${deadLetter.name}`]),
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: closing the emulator\n`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
