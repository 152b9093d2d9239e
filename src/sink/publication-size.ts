/**
 * How many bytes one event takes as the only event of a publication, as the SDK counts it against
 * the link's max-message-size: the batch envelope, the event's AMQP encoding (properties, application
 * properties, one data section with the body) and the section that wraps it in the envelope. With
 * it a request holding an event no publication can carry is refused before any of its readings is
 * queued, instead of that event being found at send time while other readings of the request
 * already went out. Exact for what this gateway sends (test/sink/publication-size.test.ts checks
 * it against the SDK's own EventDataBatch); the encoding is done only for events a cheap bound
 * cannot clear, i.e. events near the limit.
 */
import { message } from 'rhea';
import type { OutgoingEvent } from '../batching/types';

/** The empty batch envelope (format 0x80013700, no annotations), as @azure/event-hubs 6.0.4 sizes it. */
export const BATCH_ENVELOPE_BYTES = 32;
/** The data section wrapping each encoded event in the envelope: vbin8 up to 255 bytes, else vbin32. */
const SMALL_SECTION_BYTES = 5;
const LARGE_SECTION_BYTES = 8;
const SMALL_SECTION_MAX = 255;

/**
 * Every byte the encoding adds beyond a footprint (event-footprint.ts counts string lengths in
 * UTF-16 units and the body's bytes) is bounded by: the envelope and its section (40), the
 * properties section with message id and content type (27), the data section (8), the
 * application-properties map (12), and per property at most 14 bytes of framing plus two more
 * bytes per UTF-16 unit (UTF-8 takes up to 3). A property takes at least one unit, so
 * 17 × (footprint − body) bounds every property's share.
 */
const FIXED_BOUND_BYTES = 40 + 27 + 8 + 12;
const PER_UNIT_BOUND_BYTES = 17;

/** The exact bytes of `event` alone in a publication. */
export function publicationSize(event: OutgoingEvent): number {
  const encoded = message.encode({
    message_id: event.messageId,
    content_type: event.contentType,
    application_properties: event.properties,
    body: message.data_section(event.body) as unknown,
  }).length;
  return (
    BATCH_ENVELOPE_BYTES +
    encoded +
    (encoded <= SMALL_SECTION_MAX ? SMALL_SECTION_BYTES : LARGE_SECTION_BYTES)
  );
}

/**
 * Whether `event` (whose footprint is `footprint`) can exceed `maxBytes` in a publication. False is
 * certain and costs no encoding; true only means "near the limit": then `publicationSize` decides.
 */
export function mayExceed(event: OutgoingEvent, footprint: number, maxBytes: number): boolean {
  const body = event.body.length;
  return FIXED_BOUND_BYTES + body + PER_UNIT_BOUND_BYTES * (footprint - body) > maxBytes;
}
