import { emulatorConnectionString, formatEvent, parseArgs } from './consume';

describe('consume tool', () => {
  it('when flags are given, then they are parsed; unknown ones are refused', () => {
    expect(parseArgs(['--from-start', '--consumer-group', 'tail'])).toEqual({
      fromStart: true,
      consumerGroup: 'tail',
    });
    expect(parseArgs([])).toEqual({ fromStart: false, consumerGroup: '$default' });
    expect(() => parseArgs(['--nope'])).toThrow(/unknown argument/);
  });

  it('when an event arrives, then partition, sequence number, properties and the body as received are printed', () => {
    const text = formatEvent('2', {
      body: Buffer.from('{"sensor_id":"s-1"}'),
      sequenceNumber: 7,
      enqueuedTimeUtc: new Date('2026-01-01T00:00:00Z'),
      offset: '0',
      messageId: 'm-1',
      properties: { partitionKey: 's-1' },
      systemProperties: {},
      getRawAmqpMessage: () => ({ bodyType: 'data', body: undefined }),
    } as never);
    expect(text).toBe(
      'partition 2 | seq 7 | enqueued 2026-01-01T00:00:00.000Z | id m-1\n' +
        '  properties {"partitionKey":"s-1"}\n' +
        '  body {"sensor_id":"s-1"}\n',
    );
  });

  it('when the emulator is the target, then its well-known development connection string is used', () => {
    expect(emulatorConnectionString(5672, 'telemetry')).toMatch(
      /^Endpoint=sb:\/\/127\.0\.0\.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=.+;EntityPath=telemetry;UseDevelopmentEmulator=true$/,
    );
  });
});
