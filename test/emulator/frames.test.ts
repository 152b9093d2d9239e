/**
 * What the emulator writes on the wire, counted field by field as a peer decodes it: every
 * performative with its complete field list, as the service sends them (clients such as
 * azure-eventhub for Python read them by position), handle-max in begin, max-message-size and a
 * properties map on every accepted attach, a complete error in a refusing detach.
 */
import { create_container, type Connection, type EventContext, type Receiver } from 'rhea';
import { startEmulator, type Emulator } from '../../emulator';
import { SERVICE_HANDLE_MAX } from '../../emulator/amqp/complete-frames';

interface Composite {
  readonly value: unknown[];
}
interface Remote {
  readonly remote: { open?: Composite; begin?: Composite; attach?: Composite; detach?: Composite };
}
const remote = (endpoint: unknown): Remote['remote'] => (endpoint as Remote).remote;
const fieldCount = (frame: Composite | undefined): number | undefined => frame?.value.length;

let emulator: Emulator;
let connection: Connection;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  connection = create_container().connect({ host: emulator.host, port: emulator.port, reconnect: false });
  connection.on('receiver_error', () => undefined);
});
afterAll(async () => {
  await new Promise((done) => {
    connection.once('connection_close', done);
    connection.close();
  });
  await emulator.close();
});

function attach(address: string): Promise<Receiver> {
  const link = connection.open_receiver({ source: { address }, credit_window: 0 });
  return new Promise((done) => {
    const settle = (context: EventContext): void => {
      if (context.receiver !== link) return;
      connection.removeListener('receiver_open', settle);
      connection.removeListener('receiver_close', settle);
      done(link);
    };
    connection.on('receiver_open', settle);
    connection.on('receiver_close', settle);
  });
}

describe('the frames the emulator writes', () => {
  it('when a client opens a connection, a session and a $cbs link, then open, begin and attach carry every field', async () => {
    const link = await attach('$cbs');
    const open = remote(connection).open;
    const begin = remote(link.session).begin;
    const reply = remote(link).attach;
    expect([fieldCount(open), fieldCount(begin), fieldCount(reply)]).toEqual([10, 8, 14]);
    const attachFields = reply as unknown as {
      max_message_size: unknown;
      properties: unknown;
      initial_delivery_count: unknown;
    };
    expect((begin as unknown as { handle_max: unknown }).handle_max).toBe(SERVICE_HANDLE_MAX);
    expect(attachFields.max_message_size).toBe(emulator.config.maxMessageSize);
    expect(attachFields.properties).toEqual({});
    expect(attachFields.initial_delivery_count).toBe(0);
    expect((open as unknown as { max_frame_size: unknown; idle_time_out: unknown }).max_frame_size).toBe(
      65536,
    );
  });

  it('when an attach is refused, then the detach error has condition, description and info', async () => {
    const link = await attach('no-such-hub/ConsumerGroups/$default/Partitions/0');
    const detach = remote(link).detach as unknown as Composite & {
      error: Composite & { condition: unknown };
    };
    expect(fieldCount(detach)).toBe(3);
    expect(detach.error.condition).toBe('amqp:not-found');
    expect(fieldCount(detach.error)).toBe(3);
  });
});
