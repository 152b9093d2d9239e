/**
 * Parent side of bench/emulator-process.ts: starts the emulator in its own (pinned) process and
 * asks it how many transfers, events and bytes reached the hub during a measurement.
 */
import { join } from 'node:path';
import { nextMessage, startChild, tsxNode, type Child } from './child';
import type { EmulatorReply, EmulatorRequest, TransferTotals } from './emulator-process';

export interface EmulatorLink {
  readonly connectionString: string;
  readonly maxMessageSize: number;
  readonly pid: number;
  /** Forgets everything counted so far (call at the start of a measurement). */
  reset(): void;
  /** Totals since the last reset or stats call. */
  stats(): Promise<TransferTotals>;
  stop(): Promise<void>;
}

type Reply<T extends EmulatorReply['type']> = Extract<EmulatorReply, { type: T }>;
const isReply =
  <T extends EmulatorReply['type']>(type: T, id?: number) =>
  (message: unknown): message is Reply<T> =>
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === type &&
    (id === undefined || (message as { id?: unknown }).id === id);

export async function startEmulatorProcess(options: {
  cpus?: string;
  logFile: string;
}): Promise<EmulatorLink> {
  const { command, args } = tsxNode(join(__dirname, 'emulator-process.ts'));
  const child: Child = startChild({
    name: 'emulator',
    command,
    args,
    cpus: options.cpus,
    logFile: options.logFile,
    ipc: true,
    env: { ...process.env, EMULATOR_PORT: '0' },
  });
  const ready = await nextMessage(child, isReply('ready'), 30_000);
  let nextId = 1;
  const send = (request: EmulatorRequest): void => {
    child.process.send(request);
  };
  return {
    connectionString: ready.connectionString,
    maxMessageSize: ready.maxMessageSize,
    pid: child.pid,
    reset: () => send({ type: 'reset' }),
    async stats() {
      const id = nextId++;
      const reply = nextMessage(child, isReply('stats', id), 10_000);
      send({ type: 'stats', id });
      return (await reply).totals;
    },
    async stop() {
      await child.stop(5000);
    },
  };
}
