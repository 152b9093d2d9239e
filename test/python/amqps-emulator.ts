/**
 * Starts the emulator with its AMQPS listener where azure-eventhub 5.11 for Python can reach it.
 * That client ignores the port written in the connection string's Endpoint and always connects to
 * 5671, so the listener takes port 5671 on a loopback address of its own (any of 127.0.0.0/8 is
 * loopback on Linux): a random one, retried when taken, so parallel runs never collide.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmulator, type Emulator } from '../../emulator';

export const PYTHON = '/usr/bin/python3';
/** The only port azure-eventhub 5.11's AMQP transport connects to. */
export const PYTHON_AMQPS_PORT = 5671;
const ATTEMPTS = 8;

const run = promisify(execFile);

export interface AmqpsEmulator {
  readonly emulator: Emulator;
  /** The AMQPS connection string (port 5671, no UseDevelopmentEmulator). */
  readonly connectionString: string;
  readonly certPath: string;
  close(): Promise<void>;
}

function randomLoopback(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 253);
  return `127.${octet()}.${octet()}.${octet()}`;
}

export async function startAmqpsEmulator(): Promise<AmqpsEmulator> {
  const certDir = await mkdtemp(join(tmpdir(), 'emulator-tls-test-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const emulator = await startEmulator({
        host: randomLoopback(),
        port: 0,
        tls: { port: PYTHON_AMQPS_PORT, selfSignedDir: certDir },
      });
      const tls = emulator.tls;
      if (!tls) throw new Error('the emulator started without its AMQPS listener');
      return {
        emulator,
        connectionString: tls.connectionStringFor('RootManageSharedAccessKey'),
        certPath: tls.certPath,
        async close() {
          await emulator.close();
          await rm(certDir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  await rm(certDir, { recursive: true, force: true });
  throw lastError;
}

/** The installed azure-eventhub version; throws with the fix when Debian's python3-azure is missing. */
export async function azureEventHubVersion(): Promise<string> {
  try {
    const { stdout } = await run(PYTHON, [
      '-c',
      'from azure.eventhub._version import VERSION; import platform; print(f"azure-eventhub {VERSION} on Python {platform.python_version()}")',
    ]);
    return stdout.trim();
  } catch (error) {
    throw new Error(
      `${PYTHON} cannot import azure.eventhub: install Debian's python3-azure (apt-get install -y python3-azure; .ci/run does it). ${String((error as Error).message).split('\n')[0]}`,
    );
  }
}
