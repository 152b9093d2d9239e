/**
 * The emulator in its own process for the bench, so the hub's CPU is never charged to a target.
 * Reports its connection string over IPC, then answers `stats` (transfers since the last `stats`)
 * and `reset` messages. It drains the store's transfer records every 200 ms into counters, because
 * the store keeps only the newest 10 000 records and the naive sender makes thousands a second.
 */
import { startEmulator } from '../emulator';

export interface TransferTotals {
  readonly transfers: number;
  readonly events: number;
  readonly bytes: number;
  /** Largest single transfer seen, bytes. */
  readonly maxBytes: number;
}

export type EmulatorRequest = { readonly type: 'stats'; readonly id: number } | { readonly type: 'reset' };
export type EmulatorReply =
  | { readonly type: 'ready'; readonly connectionString: string; readonly maxMessageSize: number }
  | { readonly type: 'stats'; readonly id: number; readonly totals: TransferTotals };

const MAX_MESSAGE_SIZE = 1048576;

async function main(): Promise<void> {
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: Number(process.env.EMULATOR_PORT ?? 0),
    maxMessageSize: MAX_MESSAGE_SIZE,
    // The bench reads transfer records, not events: keep the logs small so memory stays flat.
    retention: { maxEventsPerPartition: 1000, maxBytesPerPartition: 4 * 1024 * 1024 },
  });
  let totals = { transfers: 0, events: 0, bytes: 0, maxBytes: 0 };
  const drain = (): void => {
    for (const record of emulator.store.transfers()) {
      totals.transfers++;
      totals.events += record.eventCount;
      totals.bytes += record.bytes;
      totals.maxBytes = Math.max(totals.maxBytes, record.bytes);
    }
    emulator.store.reset();
  };
  const timer = setInterval(drain, 200);

  process.on('message', (message: EmulatorRequest) => {
    drain();
    if (message.type === 'stats') {
      const reply: EmulatorReply = { type: 'stats', id: message.id, totals };
      process.send?.(reply);
    }
    totals = { transfers: 0, events: 0, bytes: 0, maxBytes: 0 };
  });
  process.once('SIGTERM', () => {
    clearInterval(timer);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const ready: EmulatorReply = {
    type: 'ready',
    connectionString: emulator.connectionString,
    maxMessageSize: MAX_MESSAGE_SIZE,
  };
  process.send?.(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator-process: ${String(error)}\n`);
  process.exit(1);
});
