/**
 * The common edge of the bench's own target processes: listen on an ephemeral loopback port,
 * tell the parent the port over IPC, and close on SIGTERM so the process exits by itself.
 */
import type { Server } from 'node:http';

export interface ReadyMessage {
  readonly type: 'ready';
  readonly port: number;
}

export function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

export function serve(server: Server, onClose: () => Promise<void> = () => Promise.resolve()): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const ready: ReadyMessage = { type: 'ready', port };
    process.send?.(ready);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => {
      onClose().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  });
}
