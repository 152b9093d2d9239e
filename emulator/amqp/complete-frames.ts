/**
 * Writes every performative with its complete field list, as the service does.
 *
 * AMQP lets a peer leave trailing fields out, and rhea does: a `begin` stops after the windows, an
 * `attach` after the last field set, a `close` without error is an empty list. The service sends
 * every field (unset ones as null), and Microsoft's pure-Python AMQP client reads fields by
 * position: a `begin` without handle-max, an `attach` without properties, a `transfer` with fewer
 * than 11 fields (its payload is taken from position 11) or an error without `info` breaks it.
 * So each outgoing frame of an emulator connection is padded to its full length — nested
 * composites too (source, target, error, delivery states) — and fields the service always sets
 * are filled in where rhea leaves them empty (handle-max). Padding with nulls changes no meaning,
 * so AMQP clients that do not care (the JS SDK) see the same frames as before.
 */
// Named imports: rhea exports a Container instance whose members live on its prototype.
import { types } from 'rhea';
import type { Connection, Typed } from 'rhea';

/** Field counts from the AMQP 1.0 specification, by descriptor code. */
const FIELD_COUNTS: ReadonlyMap<number, number> = new Map([
  [0x10, 10], // open
  [0x11, 8], // begin
  [0x12, 14], // attach
  [0x13, 11], // flow
  [0x14, 11], // transfer
  [0x15, 6], // disposition
  [0x16, 3], // detach
  [0x17, 1], // end
  [0x18, 1], // close
  [0x1d, 3], // error
  [0x23, 2], // received
  [0x25, 1], // rejected
  [0x27, 3], // modified
  [0x28, 11], // source
  [0x29, 7], // target
]);

const BEGIN = 0x11;
const BEGIN_HANDLE_MAX = 4;
/** The service's handle-max (one less than 2^18), seen in its begin frames. */
export const SERVICE_HANDLE_MAX = 262143;

/** rhea's list constructor and null, present at runtime but missing from its typings. */
interface TypesRuntime {
  List32: (items: Typed[]) => Typed;
  Null: () => Typed;
}
const runtime = types as unknown as TypesRuntime;

function codeOf(value: Typed): number | undefined {
  const descriptor = value.descriptor as Typed | undefined;
  const code: unknown = descriptor?.value;
  return typeof code === 'number' ? code : undefined;
}

function isNull(value: Typed | undefined | null): boolean {
  return value === undefined || value === null || value.value === null || value.value === undefined;
}

/** The described value with its list (and every nested known composite) padded to full length. */
export function completeFields(value: Typed): Typed {
  const code = codeOf(value);
  const count = code === undefined ? undefined : FIELD_COUNTS.get(code);
  if (code === undefined || count === undefined || !Array.isArray(value.value)) return value;
  const items: Typed[] = [];
  for (let i = 0; i < Math.max(count, (value.value as unknown[]).length); i++) {
    const item = (value.value as Array<Typed | undefined | null>)[i];
    items.push(isNull(item) ? runtime.Null() : completeFields(item as Typed));
  }
  if (code === BEGIN && isNull(items[BEGIN_HANDLE_MAX]))
    items[BEGIN_HANDLE_MAX] = types.wrap_uint(SERVICE_HANDLE_MAX);
  return types.described(types.wrap_ulong(code), runtime.List32(items)) as Typed;
}

interface Performative {
  described(): Typed;
}
type WriteFrame = (channel?: number, frame?: Performative, payload?: Buffer) => void;

/**
 * Makes one connection write complete frames. Hooks rhea's single frame writer of that connection
 * only (other connections in the process, such as an SDK client's, are untouched).
 */
export function writeCompleteFrames(connection: Connection): void {
  const target = connection as unknown as { _write_frame: WriteFrame };
  const write = target._write_frame.bind(connection);
  target._write_frame = (channel, frame, payload) => {
    // No performative: an empty heartbeat frame.
    if (!frame) return write(channel, frame, payload);
    const complete = completeFields(frame.described());
    write(channel, { described: () => complete }, payload);
  };
}
