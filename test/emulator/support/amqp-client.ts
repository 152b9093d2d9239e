/**
 * A bare rhea client for what the SDK cannot do: attach a sender to `<hub>/publishers/<name>`.
 * It follows the SDK's order — put-token on `$cbs`, then attach — and reports the outcome.
 */
import { create_container, message, type Connection, type EventContext } from 'rhea';
import type { Emulator } from '../../../emulator/index';

export interface PublisherSendResult {
  readonly putTokenStatus: number;
  /** 'accepted', or the condition of the rejection, detach or close. */
  readonly outcome: string;
}

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

export async function sendToPublisher(
  emulator: Emulator,
  publisher: string,
  token: string,
  body: string,
): Promise<PublisherSendResult> {
  const container = create_container();
  const connection = container.connect({ host: emulator.host, port: emulator.port, reconnect: false });
  try {
    const hub = emulator.config.hubs[0]!.name;
    const cbsSender = connection.open_sender('$cbs');
    const cbsReceiver = connection.open_receiver({
      source: { address: '$cbs' },
      name: 'cbs-reply',
      credit_window: 10,
    });
    await once(connection, ['sendable'], (_e, c) => (c.sender === cbsSender ? true : undefined));
    const reply = once(connection, ['message'], (_e, c) =>
      c.receiver === cbsReceiver ? c.message : undefined,
    );
    cbsSender.send({
      message_id: 'put-1',
      reply_to: 'cbs-reply',
      to: '$cbs',
      application_properties: {
        operation: 'put-token',
        name: `${emulator.endpoint}${hub}/publishers/${publisher}`,
        type: 'servicebus.windows.net:sastoken',
      },
      body: token,
    });
    const status = Number(
      ((await reply)?.application_properties as Record<string, unknown> | undefined)?.['status-code'],
    );
    const sender = connection.open_sender({ target: { address: `${hub}/publishers/${publisher}` } });
    const outcome = await once(connection, ['sendable', 'sender_close', 'sender_error'], (event, c) => {
      if (c.sender !== sender) return undefined;
      return event === 'sendable'
        ? 'sendable'
        : ((sender.error as { condition?: string } | undefined)?.condition ?? event);
    });
    if (outcome !== 'sendable') return { putTokenStatus: status, outcome };
    const delivery = sender.send(
      message.encode({ body: message.data_section(Buffer.from(body)) }),
      undefined,
      0,
    );
    const settled = await once(connection, ['accepted', 'rejected', 'released'], (event, c) =>
      c.delivery === delivery
        ? event === 'accepted'
          ? 'accepted'
          : ((c.delivery?.remote_state as { error?: { condition?: string } } | undefined)?.error?.condition ??
            event)
        : undefined,
    );
    return { putTokenStatus: status, outcome: settled };
  } finally {
    connection.close();
    await once(connection, ['connection_close', 'disconnected'], () => true);
  }
}
