/**
 * `npm run emulator`: the emulator as a standalone process. Listens on EMULATOR_PORT (default
 * 5672) on EMULATOR_HOST (default 127.0.0.1, loopback only unless told otherwise), prints the
 * connection string on a line starting with `Endpoint=sb://` (then the AMQPS one when
 * EMULATOR_TLS_PORT is set), and closes cleanly on SIGINT/SIGTERM.
 * The only module of the emulator that reads the environment.
 */
import { startEmulator } from './index';
import { tlsOptionsFromEnv, type TlsOptions } from './tls';
import { DEFAULT_AMQP_PORT } from './well-known';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${name} must be a port number 0..65535, got '${raw}'`);
  }
  return port;
}

function tlsSettings(): { tls?: TlsOptions } {
  const tls = tlsOptionsFromEnv(process.env);
  return tls ? { tls } : {};
}

async function main(): Promise<void> {
  const emulator = await startEmulator({
    host: process.env.EMULATOR_HOST ?? '127.0.0.1',
    port: portFromEnv('EMULATOR_PORT', DEFAULT_AMQP_PORT),
    ...tlsSettings(),
  });
  const hubs = emulator.config.hubs.map((h) => `${h.name} (${h.partitionCount} partitions)`).join(', ');
  process.stderr.write(`Event Hubs emulator listening on ${emulator.host}:${emulator.port}; hubs: ${hubs}\n`);
  process.stdout.write(`${emulator.connectionString}\n`);
  if (emulator.tls) {
    process.stderr.write(
      `AMQPS on ${emulator.host}:${emulator.tls.port}; clients trust ${emulator.tls.certPath}${emulator.tls.selfSigned ? ' (self-signed)' : ''}\n`,
    );
    process.stdout.write(`${emulator.tls.connectionStringFor('RootManageSharedAccessKey')}\n`);
  }
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
