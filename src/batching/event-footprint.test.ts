import { eventFootprint } from './event-footprint';

describe('eventFootprint', () => {
  it('when an event has properties of each kind, then body, ids and properties are all counted', () => {
    const footprint = eventFootprint({
      partitionKey: 'sensor-1',
      messageId: 'm-1',
      body: Buffer.from('{"t":1}'),
      contentType: 'application/json',
      properties: { partitionKey: 'sensor-1', seq: 7, ok: true },
    });
    // body 7 + id 3 + type 16 + ('partitionKey' 12 + 8) + ('seq' 3 + 8) + ('ok' 2 + 1)
    expect(footprint).toBe(7 + 3 + 16 + 20 + 11 + 3);
  });
});
