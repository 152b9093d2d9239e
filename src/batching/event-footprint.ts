/**
 * The bytes an event is charged against the buffer cap, computed without encoding it: body,
 * message id, content type and application properties (string lengths in UTF-16 units, numbers as
 * 8 bytes, booleans as 1). It is a lower bound of the event's AMQP encoding (UTF-8 is never
 * shorter than UTF-16 units), so "footprint > max message size" proves an event can never fit.
 * Pure; no allocation.
 */
import type { OutgoingEvent } from './types';

export function eventFootprint(event: OutgoingEvent): number {
  let bytes = event.body.length + event.messageId.length + event.contentType.length;
  const properties = event.properties;
  for (const key in properties) {
    const value = properties[key];
    bytes += key.length + (typeof value === 'string' ? value.length : typeof value === 'number' ? 8 : 1);
  }
  return bytes;
}
