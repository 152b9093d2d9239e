import { SDK_TRACE_PROPERTY, untracedProperties } from './untraced-properties';

describe('untracedProperties', () => {
  it('when copied, then the enumerable properties are the same, in order, and the marker is readable but hidden', () => {
    const copy = untracedProperties({ partitionKey: 'k', schemaVersion: '1', late: false, n: 2 });
    const keys: string[] = [];
    for (const key in copy) keys.push(key);
    expect(keys).toEqual(['partitionKey', 'schemaVersion', 'late', 'n']);
    expect(copy).toEqual({ partitionKey: 'k', schemaVersion: '1', late: false, n: 2 });
    expect(JSON.stringify(copy)).toBe('{"partitionKey":"k","schemaVersion":"1","late":false,"n":2}');
    expect(copy[SDK_TRACE_PROPERTY]).toBeTruthy();
  });

  it('when the event carries its own Diagnostic-Id, then it stays an ordinary property', () => {
    const copy = untracedProperties({ [SDK_TRACE_PROPERTY]: '00-abc-def-01' });
    expect(Object.keys(copy)).toEqual([SDK_TRACE_PROPERTY]);
    expect(copy[SDK_TRACE_PROPERTY]).toBe('00-abc-def-01');
  });
});
