import { EmulatorError } from '../errors';
import { BATCH_CONTENT_TYPE, parseRestBody } from './rest-body';

describe('parseRestBody', () => {
  it('when the body is a single event, then it is taken as raw bytes with the header broker properties', () => {
    const parsed = parseRestBody(
      Buffer.from('{"t":1}'),
      'application/json',
      '{"PartitionKey":"k","MessageId":"m-1"}',
    );
    expect(parsed).toEqual({
      messages: [{ body: Buffer.from('{"t":1}'), messageId: 'm-1' }],
      partitionKey: 'k',
    });
  });

  it('when the body is a batch, then each item becomes an event with its user properties', () => {
    const body = JSON.stringify([
      { Body: 'one', UserProperties: { a: 1, b: 'x' } },
      { Body: 'two', BrokerProperties: { PartitionKey: 'k', CorrelationId: 'c' } },
    ]);
    const parsed = parseRestBody(Buffer.from(body), `${BATCH_CONTENT_TYPE}; charset=utf-8`, undefined);
    expect(parsed.partitionKey).toBe('k');
    expect(parsed.messages).toEqual([
      { body: Buffer.from('one'), applicationProperties: { a: 1, b: 'x' } },
      { body: Buffer.from('two'), correlationId: 'c' },
    ]);
  });

  it.each([
    ['an empty single body', '', 'text/plain', undefined],
    ['a batch that is not JSON', '[', BATCH_CONTENT_TYPE, undefined],
    ['an empty batch', '[]', BATCH_CONTENT_TYPE, undefined],
    ['a batch item without Body', '[{"body":"x"}]', BATCH_CONTENT_TYPE, undefined],
    ['a nested user property', '[{"Body":"x","UserProperties":{"a":{}}}]', BATCH_CONTENT_TYPE, undefined],
    [
      'conflicting partition keys',
      '[{"Body":"x","BrokerProperties":{"PartitionKey":"a"}},{"Body":"y","BrokerProperties":{"PartitionKey":"b"}}]',
      BATCH_CONTENT_TYPE,
      undefined,
    ],
    ['a broken BrokerProperties header', 'x', 'text/plain', '{'],
    ['a non-string PartitionKey', 'x', 'text/plain', '{"PartitionKey":1}'],
  ])('when the request has %s, then 400', (_name, body, contentType, broker) => {
    let error: unknown;
    try {
      parseRestBody(Buffer.from(body), contentType, broker);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as EmulatorError).status).toBe(400);
  });
});
