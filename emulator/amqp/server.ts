/**
 * The AMQP server: sockets from the listeners (plain TCP, optionally AMQPS) are handed to rhea
 * connections. rhea sniffs
 * the protocol header (SASL ANONYMOUS or none), reassembles multi-frame transfers and sends
 * heartbeats at half the client's idle timeout. This module only routes attaches by address to the
 * CBS, management, producer and consumer handlers, forwards link events to them, and owns the
 * connection-level faults (detach all, drop, stop and restart listening on the same port).
 */
import type net from 'node:net';
// Named imports: rhea exports a Container instance whose members live on its prototype.
import { create_container } from 'rhea';
import type { Connection, ConnectionOptions, EventContext, Receiver, Sender } from 'rhea';
import { parseEntityPath } from '../entity-path';
import { onCbsRequest } from './cbs';
import { openConsumerLink } from './consumer-links';
import { createListeners, type ListenerSpec } from './listeners';
import { writeCompleteFrames } from './complete-frames';
import {
  completeAttach,
  ConnectionState,
  mirrorTermini,
  refuseLink,
  remoteAddress,
  type ServerContext,
} from './context';
import { onManagementRequest } from './management';
import { openProducerLink } from './producer-links';

export interface AmqpServer {
  readonly port: number;
  /** The AMQPS port, when a TLS listener was asked for. */
  readonly tlsPort: number | undefined;
  detachAllLinks(condition: string): void;
  dropConnections(): void;
  blackholeConnections(): void;
  stopListening(): Promise<void>;
  startListening(): Promise<void>;
  close(): Promise<void>;
}

/** Frame size and idle timeout as the service's mock advertises them. */
const CONNECTION_OPTIONS = {
  container_id: 'eventhubs-emulator',
  max_frame_size: 65536,
  channel_max: 4999,
  idle_time_out: 240000,
  // Dispositions are decided by the handlers, never by rhea.
  autoaccept: false,
  credit_window: 100,
} as unknown as ConnectionOptions;

/** rhea's server-side entry points, missing from its typings. */
interface Accepting {
  accept(socket: net.Socket): void;
  eof(): void;
}

export async function startAmqpServer(server: ServerContext, spec: ListenerSpec): Promise<AmqpServer> {
  const container = create_container({ id: 'eventhubs-emulator' });
  // A client that misbehaves must not crash the process hosting the emulator (tests, gateway).
  container.on('error', () => undefined);
  const states = new Map<Connection, ConnectionState>();

  const stateOf = (context: EventContext): ConnectionState | undefined => states.get(context.connection);

  const onClientSender = (context: EventContext): void => {
    const state = stateOf(context);
    const link = context.receiver as Receiver;
    if (!state) return;
    const address = remoteAddress(link, 'target') ?? '';
    if (address === '$cbs' || address === '$management') {
      mirrorTermini(link);
      completeAttach(link, server.config.maxMessageSize);
      const handle = address === '$cbs' ? onCbsRequest : onManagementRequest;
      if (
        address === '$management' &&
        !server.config.hubs.some(
          (h) => state.claims.check(`${h.name}/$management`, ['Manage', 'Listen'], server.now()) === 'ok',
        )
      ) {
        refuseLink(
          link,
          'amqp:unauthorized-access',
          'Unauthorized access. Put a token for <hub>/$management with Manage or Listen rights first.',
        );
        return;
      }
      state.register(link, { onMessage: (ctx) => handle(server, state, ctx) });
      return;
    }
    const entity = parseEntityPath(address);
    if (entity?.kind === 'hub' || entity?.kind === 'partition' || entity?.kind === 'publisher') {
      openProducerLink(server, state, link, entity);
      return;
    }
    refuseLink(
      link,
      'amqp:not-found',
      `The messaging entity '${server.namespaceUri()}/${address}' could not be found.`,
    );
  };

  const onClientReceiver = (context: EventContext): void => {
    const state = stateOf(context);
    const link = context.sender as Sender;
    if (!state) return;
    const address = remoteAddress(link, 'source') ?? '';
    if (address === '$cbs' || address === '$management') {
      mirrorTermini(link);
      completeAttach(link, server.config.maxMessageSize);
      state.replyLinks.set(link.name, link);
      state.register(link, {});
      return;
    }
    const entity = parseEntityPath(address);
    if (entity?.kind === 'consumer') {
      openConsumerLink(server, state, link, entity);
      return;
    }
    refuseLink(
      link,
      'amqp:not-found',
      `The messaging entity '${server.namespaceUri()}/${address}' could not be found.`,
    );
  };

  const onLinkGone = (context: EventContext): void => {
    const link = context.sender ?? context.receiver;
    if (link) stateOf(context)?.release(link);
  };

  const accept = (socket: net.Socket): void => {
    // Dispositions are small frames answering each transfer: Nagle would hold one back until the
    // previous one is acknowledged (rhea leaves it on for accepted sockets).
    socket.setNoDelay(true);
    const connection = container.create_connection({ ...CONNECTION_OPTIONS });
    writeCompleteFrames(connection);
    const state = new ConnectionState(connection);
    states.set(connection, state);
    server.faults.count('connections');
    connection.on('receiver_open', onClientSender);
    connection.on('sender_open', onClientReceiver);
    connection.on('message', (context: EventContext) => {
      const link = context.receiver;
      if (link) state.handlers.get(link)?.onMessage?.(context);
    });
    connection.on('sendable', (context: EventContext) => {
      const link = context.sender;
      if (link) state.handlers.get(link)?.onSendable?.();
    });
    for (const event of ['sender_close', 'receiver_close', 'sender_error', 'receiver_error'])
      connection.on(event, onLinkGone);
    const forget = (): void => {
      state.releaseAll();
      states.delete(connection);
    };
    connection.on('disconnected', forget);
    connection.on('connection_close', (context: EventContext) => {
      forget();
      if (context.connection.is_open()) context.connection.close();
    });
    connection.on('connection_error', () => undefined);
    connection.on('protocol_error', () => socket.destroy());
    connection.on('error', () => undefined);
    (connection as unknown as Accepting).accept(socket);
    // rhea clears its heartbeat timers on 'end' or 'error' only; a destroyed socket emits neither.
    socket.on('close', () => (connection as unknown as Accepting).eof());
  };

  const listeners = createListeners(spec, accept);
  await listeners.start();
  return {
    get port() {
      return listeners.port;
    },
    get tlsPort() {
      return listeners.tlsPort;
    },
    detachAllLinks(condition) {
      for (const state of states.values()) {
        for (const [link, handler] of [...state.handlers]) {
          if (!handler.entity) continue; // like the service's forced detach: CBS and management stay
          state.release(link);
          if (link.is_open()) link.close({ condition, description: `Injected fault: ${condition}` });
        }
      }
    },
    dropConnections() {
      for (const [connection, state] of [...states]) {
        state.releaseAll();
        states.delete(connection);
        if (connection.is_open())
          connection.close({
            condition: 'amqp:connection:forced',
            description: 'Injected fault: connection dropped.',
          });
      }
      // The close frame is written on the next tick; then the sockets go, as in a real drop.
      server.later(50, () => listeners.dropSockets());
    },
    blackholeConnections: () => listeners.blackholeSockets(),
    stopListening: () => listeners.stop(),
    startListening: () => listeners.start(),
    close: () => listeners.stop(),
  };
}
