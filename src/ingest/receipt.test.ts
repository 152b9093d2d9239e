import { receiptJson } from './receipt';

const viaStringify = (requestId: string, ids: string[], partitionIds: (string | undefined)[]): string =>
  JSON.stringify({
    count: ids.length,
    requestId,
    events: ids.map((messageId, i) => ({ messageId, partitionId: partitionIds[i] ?? '' })),
  });

describe('receiptJson', () => {
  it('when ids are plain, then the text is exactly what JSON.stringify makes of the receipt', () => {
    const ids = ['0b0e9f3a-6c1d-4f7e-9d7a-1f2e3d4c5b6a', 'm-1', 'client id 7'];
    const partitions = ['0', '3', '12'];
    const json = receiptJson(
      'req-1',
      ids.map((messageId) => ({ messageId })),
      partitions,
    );
    expect(json).toBe(viaStringify('req-1', ids, partitions));
    expect(JSON.parse(json)).toEqual({
      count: 3,
      requestId: 'req-1',
      events: [
        { messageId: ids[0], partitionId: '0' },
        { messageId: 'm-1', partitionId: '3' },
        { messageId: 'client id 7', partitionId: '12' },
      ],
    });
  });

  it('when ids hold quotes, backslashes, control or non-ASCII characters, then they are escaped as JSON.stringify does', () => {
    const ids = [
      'say "hi"',
      'back\\slash',
      'tab\there',
      'line\u2028sep',
      'grüße',
      '\ud83d\ude00',
      'lone \ud800',
    ];
    const partitions = ['1', '1', '2', '2', '0', '0', '3'];
    const json = receiptJson(
      'r"q\\1',
      ids.map((messageId) => ({ messageId })),
      partitions,
    );
    expect(json).toBe(viaStringify('r"q\\1', ids, partitions));
  });

  it('when a partition id is missing or there are no events, then the receipt still matches', () => {
    expect(receiptJson('r', [{ messageId: 'a' }], [])).toBe(viaStringify('r', ['a'], []));
    expect(receiptJson('r', [], [])).toBe('{"count":0,"requestId":"r","events":[]}');
  });
});
