/**
 * The sockets the AMQP server listens on: plain TCP always, AMQPS (TLS) when certificate material
 * is given. Both hand their sockets to the same `accept`, so a client sees one service whichever
 * way it connects. Stopping closes every listener and drops every socket (the "hub is gone"
 * fault); starting again reuses the ports first bound, so clients reconnect where they were.
 * Blackholing keeps the sockets open but silent (the "network swallowed it" fault).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from '../tls';

export interface ListenerSpec {
  readonly host: string;
  readonly port: number;
  /** With a TLS port: the AMQPS listener. */
  readonly tls?: { readonly port: number; readonly material: TlsMaterial };
}

export interface Listeners {
  readonly port: number;
  readonly tlsPort: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  dropSockets(): void;
  /** Silent, not closed: nothing more is read from or written to the current sockets, ever. */
  blackholeSockets(): void;
}

type Accept = (socket: net.Socket) => void;

function bind(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      // A late listener error (EMFILE and the like) must not crash the hosting process.
      server.on('error', () => undefined);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export function createListeners(spec: ListenerSpec, accept: Accept): Listeners {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    accept(socket);
  };
  let port = spec.port;
  let tlsPort = spec.tls?.port;
  let running: net.Server[] = [];
  const dropSockets = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  const makeTls = (material: TlsMaterial): tls.Server => {
    const server = tls.createServer({ cert: material.cert, key: material.key }, track);
    // A client that aborts the handshake (wrong CA, plain AMQP on the TLS port) costs one socket only.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    return server;
  };

  return {
    get port() {
      return port;
    },
    get tlsPort() {
      return tlsPort;
    },
    async start() {
      if (running.length > 0) return;
      const plain = net.createServer(track);
      const started: net.Server[] = [];
      try {
        port = await bind(plain, spec.host, port);
        started.push(plain);
        if (spec.tls && tlsPort !== undefined) {
          const secure = makeTls(spec.tls.material);
          tlsPort = await bind(secure, spec.host, tlsPort);
          started.push(secure);
        }
      } catch (error) {
        await Promise.all(started.map(close));
        throw error;
      }
      running = started;
    },
    async stop() {
      const current = running;
      running = [];
      dropSockets();
      await Promise.all(current.map(close));
    },
    dropSockets,
    blackholeSockets() {
      for (const socket of sockets) {
        socket.pause();
        socket.write = () => true;
      }
    },
  };
}
