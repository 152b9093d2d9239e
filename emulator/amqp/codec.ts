/**
 * AMQP message bytes: unpacking the SDK's batched envelope (message-format 0x80013700) into the
 * inner messages' original bytes, and re-emitting a stored message with the system annotations
 * spliced in. Works section by section on rhea's typed values so that every other section of a
 * producer's message (properties, application-properties, body) goes back to consumers byte for
 * byte, and no AMQP type is lost in a decode/encode round trip.
 */
// Named imports: rhea exports a Container instance whose members live on its prototype.
import { message as amqpMessage, types } from 'rhea';
import type { Typed } from 'rhea';

/** rhea's Reader/Writer and typed constructors exist at runtime but are missing from its typings. */
interface RheaReader {
  position: number;
  read(): Typed;
  remaining(): number;
}
interface RheaWriter {
  write(o: Typed): void;
  toBuffer(): Buffer;
}
interface RheaTypesRuntime {
  Reader: new (buffer: Buffer) => RheaReader;
  Writer: new (buffer?: Buffer) => RheaWriter;
  Map32: (items: Typed[]) => Typed;
}
const runtime = types as unknown as RheaTypesRuntime;

export const BATCH_MESSAGE_FORMAT = 0x80013700;

const HEADER = 0x70;
const DELIVERY_ANNOTATIONS = 0x71;
const MESSAGE_ANNOTATIONS = 0x72;
const DATA = 0x75;

interface Section {
  readonly code: number;
  readonly start: number;
  readonly end: number;
  readonly value: Typed;
}

function descriptorCode(section: Typed): number {
  const descriptor = section.descriptor as Typed | undefined;
  const value: unknown = descriptor?.value;
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigUInt64BE(0));
  return -1;
}

function readSections(bytes: Buffer): Section[] {
  const reader = new runtime.Reader(bytes);
  const sections: Section[] = [];
  while (reader.remaining() > 0) {
    const start = reader.position;
    const value = reader.read();
    sections.push({ code: descriptorCode(value), start, end: reader.position, value });
  }
  return sections;
}

/** A typed map's entries as [key, value] pairs of typed values. */
function mapEntries(map: Typed | undefined): Array<[Typed, Typed]> {
  const items = (map?.value ?? []) as Typed[];
  const pairs: Array<[Typed, Typed]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) pairs.push([items[i] as Typed, items[i + 1] as Typed]);
  return pairs;
}

function keyName(key: Typed): string {
  const value: unknown = key.value;
  return typeof value === 'string' ? value : String(value);
}

function stringAnnotation(section: Section | undefined, name: string): string | undefined {
  if (!section) return undefined;
  for (const [key, value] of mapEntries(section.value)) {
    if (keyName(key) === name) return typeof value.value === 'string' ? value.value : undefined;
  }
  return undefined;
}

export interface UnpackedPublication {
  /** Each inner message's complete encoded bytes (slices of the transfer buffer). */
  readonly messages: Buffer[];
  /** `x-opt-partition-key` of the envelope, else of the first inner message. */
  readonly partitionKey?: string;
}

/**
 * Splits a transfer payload into the messages it carries. Format 0x80013700: one inner message per
 * data section of the envelope; format 0: the payload is itself one message.
 * Throws on bytes that are not AMQP.
 */
export function unpackPublication(payload: Buffer, format: number): UnpackedPublication {
  if (format !== BATCH_MESSAGE_FORMAT) {
    const sections = readSections(payload);
    const key = stringAnnotation(
      sections.find((s) => s.code === MESSAGE_ANNOTATIONS),
      'x-opt-partition-key',
    );
    return key === undefined ? { messages: [payload] } : { messages: [payload], partitionKey: key };
  }
  const sections = readSections(payload);
  const messages: Buffer[] = [];
  for (const section of sections) {
    if (section.code !== DATA) continue;
    const value: unknown = section.value.value;
    if (Buffer.isBuffer(value)) messages.push(value);
  }
  let key = stringAnnotation(
    sections.find((s) => s.code === MESSAGE_ANNOTATIONS),
    'x-opt-partition-key',
  );
  if (key === undefined && messages[0]) {
    key = stringAnnotation(
      readSections(messages[0]).find((s) => s.code === MESSAGE_ANNOTATIONS),
      'x-opt-partition-key',
    );
  }
  return key === undefined ? { messages } : { messages, partitionKey: key };
}

export interface SystemAnnotations {
  readonly sequenceNumber: number;
  readonly offset: string;
  readonly enqueuedTimeMs: number;
  readonly partitionKey?: string;
  readonly publisher?: string;
}

export interface RuntimeMetrics {
  readonly lastSequenceNumber: number;
  readonly lastOffset: string;
  readonly lastEnqueuedTimeMs: number;
  readonly retrievedAtMs: number;
}

const SYSTEM_KEYS = new Set([
  'x-opt-sequence-number',
  'x-opt-offset',
  'x-opt-enqueued-time',
  'x-opt-partition-key',
  'x-opt-publisher-name',
]);

function described(code: number, value: Typed): Typed {
  return types.described(types.wrap_ulong(code), value) as Typed;
}

function encode(section: Typed): Buffer {
  const writer = new runtime.Writer();
  writer.write(section);
  return writer.toBuffer();
}

/**
 * The bytes a consumer receives: the stored message with its message annotations merged with the
 * system annotations (typed as the SDK reads them) and, when asked for, runtime-metric delivery
 * annotations. All other sections are copied unchanged.
 */
export function withSystemAnnotations(
  raw: Buffer,
  system: SystemAnnotations,
  metrics?: RuntimeMetrics,
): Buffer {
  const sections = readSections(raw);
  const existing = sections.find((s) => s.code === MESSAGE_ANNOTATIONS);
  const items: Typed[] = [];
  const replaced = new Set(SYSTEM_KEYS);
  if (system.partitionKey === undefined) replaced.delete('x-opt-partition-key');
  if (system.publisher === undefined) replaced.delete('x-opt-publisher-name');
  for (const [key, value] of mapEntries(existing?.value)) {
    if (replaced.has(keyName(key))) continue;
    items.push(key, value);
  }
  const sym = (s: string): Typed => types.wrap_symbol(s);
  items.push(sym('x-opt-sequence-number'), types.wrap_long(system.sequenceNumber));
  items.push(sym('x-opt-offset'), types.wrap_string(system.offset));
  items.push(sym('x-opt-enqueued-time'), types.wrap_timestamp(system.enqueuedTimeMs));
  if (system.partitionKey !== undefined)
    items.push(sym('x-opt-partition-key'), types.wrap_string(system.partitionKey));
  if (system.publisher !== undefined)
    items.push(sym('x-opt-publisher-name'), types.wrap_string(system.publisher));
  const annotations = encode(described(MESSAGE_ANNOTATIONS, runtime.Map32(items)));
  const delivery = metrics
    ? encode(
        described(
          DELIVERY_ANNOTATIONS,
          runtime.Map32([
            sym('last_enqueued_sequence_number'),
            types.wrap_long(metrics.lastSequenceNumber),
            sym('last_enqueued_offset'),
            types.wrap_string(metrics.lastOffset),
            sym('last_enqueued_time_utc'),
            types.wrap_timestamp(metrics.lastEnqueuedTimeMs),
            sym('runtime_info_retrieval_time_utc'),
            types.wrap_timestamp(metrics.retrievedAtMs),
          ]),
        ),
      )
    : undefined;
  const parts: Buffer[] = [];
  for (const section of sections.filter((s) => s.code === HEADER))
    parts.push(raw.subarray(section.start, section.end));
  if (delivery) parts.push(delivery);
  else {
    for (const s of sections.filter((x) => x.code === DELIVERY_ANNOTATIONS))
      parts.push(raw.subarray(s.start, s.end));
  }
  parts.push(annotations);
  for (const section of sections) {
    if (
      section.code === HEADER ||
      section.code === DELIVERY_ANNOTATIONS ||
      section.code === MESSAGE_ANNOTATIONS
    )
      continue;
    parts.push(raw.subarray(section.start, section.end));
  }
  return Buffer.concat(parts);
}

export interface DecodedFields {
  readonly messageId?: string | number;
  readonly contentType?: string;
  readonly applicationProperties: Record<string, unknown>;
  readonly body: Buffer;
  readonly partitionKey?: string;
}

/** The fields tests and the REST path look at. A non-data body is returned as its encoded section. */
export function decodeFields(raw: Buffer): DecodedFields {
  const decoded = amqpMessage.decode(raw);
  const sections = readSections(raw);
  const dataSections = sections.filter((s) => s.code === DATA).map((s) => s.value.value as Buffer);
  const body =
    dataSections.length > 0
      ? Buffer.concat(dataSections)
      : Buffer.concat(
          sections.filter((s) => s.code === 0x76 || s.code === 0x77).map((s) => raw.subarray(s.start, s.end)),
        );
  const rawId: unknown = decoded.message_id;
  const messageId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : undefined;
  const annotations = (decoded.message_annotations ?? {}) as Record<string, unknown>;
  const key = annotations['x-opt-partition-key'];
  return {
    ...(messageId === undefined ? {} : { messageId }),
    ...(typeof decoded.content_type === 'string' ? { contentType: decoded.content_type } : {}),
    applicationProperties: { ...((decoded.application_properties ?? {}) as Record<string, unknown>) },
    body,
    ...(typeof key === 'string' ? { partitionKey: key } : {}),
  };
}

export interface EncodableFields {
  readonly body: Buffer;
  readonly applicationProperties?: Record<string, unknown>;
  readonly messageId?: string | number;
  readonly correlationId?: string | number;
  readonly contentType?: string;
  readonly partitionKey?: string;
}

/** Encodes an event the way the SDK does: header, annotations, properties, app properties, one data section. */
export function encodeMessage(fields: EncodableFields): Buffer {
  return amqpMessage.encode({
    ...(fields.partitionKey === undefined ? {} : { durable: true }),
    message_annotations:
      fields.partitionKey === undefined ? {} : { 'x-opt-partition-key': fields.partitionKey },
    ...(fields.messageId === undefined ? {} : { message_id: fields.messageId }),
    ...(fields.correlationId === undefined ? {} : { correlation_id: fields.correlationId }),
    ...(fields.contentType === undefined ? {} : { content_type: fields.contentType }),
    ...(fields.applicationProperties === undefined
      ? {}
      : { application_properties: fields.applicationProperties }),
    body: amqpMessage.data_section(fields.body) as unknown,
  });
}
