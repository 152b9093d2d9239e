/**
 * A bare rhea client for what the SDK cannot do: attach a sender to `<hub>/publishers/<name>`, or
 * push a transfer bigger than the advertised limit. It follows the SDK's order — put-token on
 * `$cbs`, then attach — and reports each outcome as a status or an AMQP condition.
 */
import { create_container, message, type Connection, type EventContext } from 'rhea';
import type { Emulator } from '../../../emulator/index';

function once<T>(
  connection: Connection,
  events: string[],
  pick: (event: string, context: EventContext) => T | undefined,
): Promise<T> {
  return new Promise((resolve) => {
    const handlers = events.map((event) => {
      const handler = (context: EventContext): void => {
        const value = pick(event, context);
        if (value === undefined) return;
        events.forEach((e, i) => connection.removeListener(e, handlers[i]!));
        resolve(value);
      };
      connection.on(event, handler);
      return handler;
    });
  });
}

export interface BareClient {
  /** Returns the CBS status code. */
  putToken(audience: string, token: string): Promise<number>;
  /** Attaches a sender and sends one transfer; returns 'accepted' or the failure condition. */
  send(address: string, payload: Buffer, format?: number): Promise<string>;
  close(): Promise<void>;
}

export function connectBareClient(emulator: Emulator): BareClient {
  const container = create_container();
  const connection = container.connect({ host: emulator.host, port: emulator.port, reconnect: false });
  connection.on('sender_error', () => undefined);
  connection.on('receiver_error', () => undefined);
  const cbsSender = connection.open_sender('$cbs');
  const cbsReceiver = connection.open_receiver({
    source: { address: '$cbs' },
    name: 'cbs-reply',
    credit_window: 10,
  });
  let requests = 0;
  return {
    async putToken(audience, token) {
      if (!cbsSender.sendable())
        await once(connection, ['sendable'], (_e, c) => (c.sender === cbsSender ? true : undefined));
      const id = `put-${++requests}`;
      const reply = once(connection, ['message'], (_e, c) =>
        c.receiver === cbsReceiver && c.message?.correlation_id === id ? c.message : undefined,
      );
      cbsSender.send({
        message_id: id,
        reply_to: 'cbs-reply',
        to: '$cbs',
        application_properties: {
          operation: 'put-token',
          name: audience,
          type: 'servicebus.windows.net:sastoken',
        },
        body: token,
      });
      const props = (await reply).application_properties as Record<string, unknown> | undefined;
      return Number(props?.['status-code']);
    },
    async send(address, payload, format = 0) {
      const sender = connection.open_sender({ target: { address } });
      const attached = await once(connection, ['sendable', 'sender_close', 'sender_error'], (event, c) => {
        if (c.sender !== sender) return undefined;
        return event === 'sendable'
          ? 'sendable'
          : ((sender.error as { condition?: string } | undefined)?.condition ?? event);
      });
      if (attached !== 'sendable') return attached;
      const delivery = sender.send(payload, undefined, format);
      const outcome = await once(connection, ['accepted', 'rejected', 'released'], (event, c) => {
        if (c.delivery !== delivery) return undefined;
        const state = c.delivery.remote_state as { error?: { condition?: string } } | undefined;
        return event === 'accepted' ? 'accepted' : (state?.error?.condition ?? event);
      });
      sender.close();
      return outcome;
    },
    async close() {
      connection.close();
      await once(connection, ['connection_close', 'disconnected'], () => true);
    },
  };
}

/** One encoded message with a data-section body. */
export function encodeEvent(body: Buffer | string): Buffer {
  return message.encode({ body: message.data_section(Buffer.from(body)) });
}
