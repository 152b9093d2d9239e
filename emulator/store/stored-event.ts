/**
 * A stored event. The system fields are set when it is appended; the message fields (body,
 * properties) are decoded from `raw` only when someone reads them, because a benchmark stores
 * millions of events that nobody ever inspects.
 */
import { decodeFields, type DecodedFields } from '../amqp/codec';
import type { StoredEvent } from '../types';

export interface EventSystemFields {
  readonly hub: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  /** Byte position in the partition; `offset` is its decimal string. */
  readonly offsetValue: number;
  readonly enqueuedTime: Date;
  readonly partitionKey?: string;
  readonly publisher?: string;
  readonly raw: Buffer;
}

export class LoggedEvent implements StoredEvent {
  readonly hub: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly offsetValue: number;
  readonly offset: string;
  readonly enqueuedTime: Date;
  readonly partitionKey?: string;
  readonly publisher?: string;
  readonly raw: Buffer;
  #decoded: DecodedFields | undefined;

  constructor(fields: EventSystemFields) {
    this.hub = fields.hub;
    this.partitionId = fields.partitionId;
    this.sequenceNumber = fields.sequenceNumber;
    this.offsetValue = fields.offsetValue;
    this.offset = String(fields.offsetValue);
    this.enqueuedTime = fields.enqueuedTime;
    if (fields.partitionKey !== undefined) this.partitionKey = fields.partitionKey;
    if (fields.publisher !== undefined) this.publisher = fields.publisher;
    this.raw = fields.raw;
  }

  private get decoded(): DecodedFields {
    this.#decoded ??= decodeFields(this.raw);
    return this.#decoded;
  }

  get messageId(): string | number | undefined {
    return this.decoded.messageId;
  }

  get contentType(): string | undefined {
    return this.decoded.contentType;
  }

  get applicationProperties(): Record<string, unknown> {
    return this.decoded.applicationProperties;
  }

  get body(): Buffer {
    return this.decoded.body;
  }
}
