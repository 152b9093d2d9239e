import { resolve } from 'node:path';
import type { GatewayError } from '../errors';
import { loadEventTypes } from './event-types';
import { parseBody } from './parse-body';
import { MAX_REPORTED_ERRORS, prepareEvents, type PrepareContext } from './prepare-events';

const telemetry = loadEventTypes(resolve(__dirname, '../../schemas')).get('telemetry')!;
let counter = 0;
const context: PrepareContext = {
  requestId: 'req-1',
  receivedAt: '2026-01-01T00:00:00.000Z',
  messageIdField: 'message_id',
  newId: () => `generated-${++counter}`,
};
const reading = (extra: Record<string, unknown> = {}) => ({
  sensor_id: 'sensor-1',
  timestamp: '2026-01-01T00:00:00Z',
  temperature: 21.5,
  ...extra,
});
const prepare = (values: unknown[]) =>
  prepareEvents(telemetry, parseBody(Buffer.from(JSON.stringify(values)), 'json'), context);

function failure(values: unknown[]): GatewayError {
  try {
    prepare(values);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a 422');
}

describe('prepareEvents', () => {
  beforeEach(() => {
    counter = 0;
  });

  it('when events are valid, then each gets key, message id, properties and its own bytes', () => {
    const [first, second] = prepare([reading({ message_id: 'm-1' }), reading({ sensor_id: 'sensor-2' })]);
    expect(first).toEqual({
      partitionKey: 'sensor-1',
      messageId: 'm-1',
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(reading({ message_id: 'm-1' }))),
      properties: {
        partitionKey: 'sensor-1',
        eventType: 'telemetry',
        schemaVersion: '1.0.0',
        receivedAt: '2026-01-01T00:00:00.000Z',
        requestId: 'req-1',
      },
    });
    expect(second?.messageId).toBe('generated-1');
    expect(second?.partitionKey).toBe('sensor-2');
  });

  it('when some events fail the schema, then 422 lists index, pointer and message for each', () => {
    const error = failure([reading(), reading({ temperature: 'hot' }), { timestamp: 'yesterday' }]);
    expect(error.code).toBe('GW_ERR_VALIDATION');
    expect(error.status).toBe(422);
    expect(error.extensions.errors).toEqual(
      expect.arrayContaining([
        { index: 1, pointer: '/temperature', message: 'must be number' },
        { index: 2, pointer: '/sensor_id', message: "must have required property 'sensor_id'" },
        { index: 2, pointer: '/timestamp', message: 'must match format "date-time"' },
      ]),
    );
    expect(error.message).toContain('2 of 3');
  });

  it('when the partition key is longer than 128 characters, then 422 partition key', () => {
    const error = failure([reading({ sensor_id: 'x'.repeat(129) })]);
    expect(error.code).toBe('GW_ERR_PARTITION_KEY');
    expect(error.extensions.errors).toEqual([
      { index: 0, pointer: '/sensor_id', message: 'partition key must be at most 128 characters' },
    ]);
  });

  it('when the partition key is exactly 128 characters, then it is accepted', () => {
    expect(prepare([reading({ sensor_id: 'k'.repeat(128) })])[0]?.partitionKey).toHaveLength(128);
  });

  it('when very many events fail, then the list is capped and the count is given', () => {
    const error = failure(Array.from({ length: 200 }, () => reading({ humidity: 101 })));
    expect((error.extensions.errors as unknown[]).length).toBe(MAX_REPORTED_ERRORS);
    expect(error.extensions).toMatchObject({ errorCount: MAX_REPORTED_ERRORS, truncated: true });
    expect(error.message).toContain(`of the first ${MAX_REPORTED_ERRORS} of 200 event(s) failed`);
  });

  it('when the report is full, then the remaining events are not validated', () => {
    const validated: unknown[] = [];
    const counting = Object.assign(
      (value: unknown) => {
        validated.push(value);
        return telemetry.validate(value);
      },
      { errors: null },
    );
    Object.defineProperty(counting, 'errors', { get: () => telemetry.validate.errors });
    const type = { ...telemetry, validate: counting as unknown as typeof telemetry.validate };
    const values = Array.from({ length: 1000 }, () => ({}));
    expect(() =>
      prepareEvents(type, parseBody(Buffer.from(JSON.stringify(values)), 'json'), context),
    ).toThrow('validation stopped');
    // `{}` misses two required fields: 25 events fill the report of 50.
    expect(validated.length).toBe(MAX_REPORTED_ERRORS / 2);
  });
});
