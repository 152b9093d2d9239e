/**
 * Lingering close, as nginx does it: when the gateway answers before a request's body has fully
 * arrived (413 on Content-Length, 401 before the upload, a refused gzip bomb) and closes the
 * connection, closing at once would make the kernel reset it while the client is still writing,
 * and a client that writes its whole body before reading (most HTTP libraries, Node's fetch) sees
 * ECONNRESET/EPIPE instead of the answer. So the socket sends its FIN after the answer, keeps
 * reading and discarding what still comes for a bounded time and size, and closes when the client
 * has finished (the body is complete, or the client closed its side) or a bound is reached.
 *
 * node:http closes a connection by calling `socket.destroySoon()` once the last response is
 * written; that method is replaced on each accepted socket, and falls through to node's own
 * unless a body is still arriving.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { bodyStillArriving, currentRequest } from './socket-state';

export interface LingerLimits {
  /** Longest time to keep reading after the answer. */
  readonly maxMs: number;
  /** Most bytes of the remaining body to read and discard. */
  readonly maxBytes: number;
}

export function lingerOnClose(server: Server, limits: LingerLimits): void {
  server.on('connection', (socket: Socket) => {
    const destroySoon = socket.destroySoon.bind(socket);
    socket.destroySoon = () => {
      const req = currentRequest(socket);
      if (req === undefined || !bodyStillArriving(req) || socket.destroyed) {
        destroySoon();
        return;
      }
      let discarded = 0;
      let answered = false;
      let drained = false;
      const close = (): void => {
        clearTimeout(timer);
        req.removeListener('data', onData);
        socket.destroy();
      };
      const maybeClose = (): void => {
        if (answered && drained) close();
      };
      const onData = (chunk: Buffer): void => {
        discarded += chunk.length;
        if (discarded > limits.maxBytes) close();
      };
      const timer = setTimeout(close, limits.maxMs);
      timer.unref();
      req.on('data', onData);
      req.resume();
      req.once('end', () => {
        drained = true;
        maybeClose();
      });
      socket.once('end', () => {
        drained = true;
        maybeClose();
      });
      socket.once('close', () => clearTimeout(timer));
      // The FIN goes after the answer; the socket is destroyed once both sides are done.
      socket.end(() => {
        answered = true;
        maybeClose();
      });
    };
  });
}
