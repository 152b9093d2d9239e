/**
 * Application properties the Event Hubs SDK treats as already traced. The SDK's
 * `EventDataBatch.tryAdd` starts (and ends) a tracing span for every event unless the event's
 * properties already carry a `Diagnostic-Id` (the SDK's trace-context property); even with no tracer
 * registered that span costs about a third of tryAdd's CPU (measured: 11.9 → 7.7 µs per event).
 * The copy made here inherits a non-enumerable `Diagnostic-Id`: the SDK's lookup finds it, while
 * the AMQP encoder, which walks enumerable keys only, never puts it on the wire, so the hub sees
 * exactly the properties given. The sink's tests guard both halves.
 * Pure; one small object per event (the SDK would copy the properties for its span anyway).
 */

export type PropertyValue = string | number | boolean;

/** The application property the SDK reads to decide that an event is already instrumented. */
export const SDK_TRACE_PROPERTY = 'Diagnostic-Id';

class UntracedProperties {
  [key: string]: PropertyValue;
}

Object.defineProperty(UntracedProperties.prototype, SDK_TRACE_PROPERTY, {
  value: 'untraced',
  enumerable: false,
  // Writable, so that an event that does carry its own Diagnostic-Id can still set it (as an own,
  // enumerable property that then travels as before).
  writable: true,
});

/** The same enumerable properties, marked so the SDK starts no per-event span. */
export function untracedProperties(
  properties: Readonly<Record<string, PropertyValue>>,
): Record<string, PropertyValue> {
  const copy = new UntracedProperties();
  for (const key in properties) copy[key] = properties[key]!;
  return copy;
}
