import { parseRestPath } from './rest-path';

describe('parseRestPath', () => {
  it('when the path is one of the three send paths, then target and audience follow', () => {
    expect(parseRestPath('/telemetry/messages')).toEqual({
      target: { hub: 'telemetry' },
      audience: 'telemetry',
    });
    expect(parseRestPath('/telemetry/publishers/sensor-1/messages')).toEqual({
      target: { hub: 'telemetry', publisher: 'sensor-1' },
      audience: 'telemetry/publishers/sensor-1',
    });
    expect(parseRestPath('/telemetry/Partitions/3/messages/')).toEqual({
      target: { hub: 'telemetry', partitionId: '3' },
      audience: 'telemetry/Partitions/3',
    });
    expect(parseRestPath('/telemetry/publishers/a%20b/messages')?.target.publisher).toBe('a b');
  });

  it('when the path is anything else, then undefined', () => {
    for (const path of [
      '/',
      '/messages',
      '/telemetry',
      '/telemetry/publishers/messages',
      '/telemetry/consumergroups/x/messages',
      '/t/publishers/a%2Fb/messages',
      '/t/publishers/%E0/messages',
      '/t/publishers/x/y/messages',
    ])
      expect(parseRestPath(path)).toBeUndefined();
  });
});
