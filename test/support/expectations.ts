/** Shared assertions: the problem+json shape every error must have, and events of one sensor. */
import type { Response } from 'supertest';
import type { Emulator } from '../../emulator';

export const HUB = 'telemetry';

/** Asserts the RFC 9457 body and headers of an error answer; returns the body. */
export function expectProblem(res: Response, status: number, code: string): Record<string, unknown> {
  expect({ status: res.status, code: (res.body as { code?: unknown }).code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringContaining(code),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      code,
      retryable: expect.any(Boolean),
      requestId: res.headers['x-request-id'],
    }),
  );
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
  return body;
}

/** Stored events whose partitionKey property is `sensorId`, in partition then sequence order. */
export function storedEventsOf(emulator: Emulator, sensorId: string) {
  return emulator.store
    .allEvents(HUB)
    .filter((event) => event.applicationProperties.partitionKey === sensorId)
    .sort((a, b) => Number(a.partitionId) - Number(b.partitionId) || a.sequenceNumber - b.sequenceNumber);
}

/** For `.serialize(asIs)`: superagent JSON-encodes a Buffer when Content-Type is JSON; send it raw. */
export const asIs = (body: unknown): string => body as string;
