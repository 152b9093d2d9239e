/**
 * The emulator's pure parsers: start-position filters (every string the SDK sends), entity paths
 * (every address and audience form) and configuration defaults and validation.
 */
import { parseStartPosition } from '../../emulator/amqp/start-position';
import { resolveConfig } from '../../emulator/config';
import { parseEntityPath } from '../../emulator/entity-path';

describe('start-position filters', () => {
  it.each([
    ["amqp.annotation.x-opt-offset > '-1'", { kind: 'earliest' }],
    ["amqp.annotation.x-opt-offset > '@latest'", { kind: 'latest' }],
    ["amqp.annotation.x-opt-offset >= '2000'", { kind: 'offset', offset: 2000, inclusive: true }],
    ["amqp.annotation.x-opt-offset > '2000'", { kind: 'offset', offset: 2000, inclusive: false }],
    [
      "amqp.annotation.x-opt-sequence-number >= '0'",
      { kind: 'sequence', sequenceNumber: 0, inclusive: true },
    ],
    [
      "amqp.annotation.x-opt-sequence-number > '41'",
      { kind: 'sequence', sequenceNumber: 41, inclusive: false },
    ],
    [
      "amqp.annotation.x-opt-enqueued-time > '1704067200000'",
      { kind: 'enqueued-time', timeMs: 1704067200000, inclusive: false },
    ],
  ])('when the SDK sends %s, then it parses', (expression, expected) => {
    expect(parseStartPosition(expression)).toEqual(expected);
  });

  it.each([
    "amqp.annotation.x-opt-offset = '1'",
    "amqp.annotation.x-opt-foo > '1'",
    "amqp.annotation.x-opt-offset > 'abc'",
    '',
  ])('when the filter is %j, then it is refused', (expression) =>
    expect(parseStartPosition(expression)).toBeUndefined(),
  );
});

describe('entity paths', () => {
  it.each([
    ['sb://localhost:5672/', { kind: 'namespace' }],
    ['telemetry', { kind: 'hub', hub: 'telemetry' }],
    ['sb://h/telemetry/Partitions/2', { kind: 'partition', hub: 'telemetry', partitionId: '2' }],
    ['telemetry/publishers/dev%201', { kind: 'publisher', hub: 'telemetry', publisher: 'dev 1' }],
    ['telemetry/$management', { kind: 'management', hub: 'telemetry' }],
    [
      'telemetry/ConsumerGroups/$default/Partitions/1',
      { kind: 'consumer', hub: 'telemetry', consumerGroup: '$default', partitionId: '1' },
    ],
    ['telemetry/consumergroups/ops', { kind: 'consumer-group', hub: 'telemetry', consumerGroup: 'ops' }],
  ])('when the address is %s, then it names the entity', (address, expected) => {
    expect(parseEntityPath(address)).toEqual(expected);
  });

  it('when the address has an unknown shape, then it names nothing', () => {
    expect(parseEntityPath('telemetry/Partitions')).toBeUndefined();
    expect(parseEntityPath('telemetry/whatever/1')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('when nothing is given, then the defaults describe the telemetry hub on an ephemeral loopback port', () => {
    const config = resolveConfig();
    expect(config).toMatchObject({ host: '127.0.0.1', port: 0, restPort: false, maxMessageSize: 1048576 });
    expect(config.hubs.map((h) => [h.name, h.partitionIds, h.consumerGroups])).toEqual([
      ['telemetry', ['0', '1', '2', '3'], ['$Default']],
    ]);
  });

  it('when options contradict, then start-up fails naming the option', () => {
    expect(() => resolveConfig({ hubs: [{ name: 'a', partitionCount: 0 }] })).toThrow(/partitionCount/);
    expect(() => resolveConfig({ hubs: [{ name: 'a', partitionCount: 33 }] })).toThrow(/partitionCount/);
    expect(() =>
      resolveConfig({
        hubs: [
          { name: 'a', partitionCount: 1 },
          { name: 'A', partitionCount: 1 },
        ],
      }),
    ).toThrow(/duplicate/);
    expect(() => resolveConfig({ maxMessageSize: 0 })).toThrow(/maxMessageSize/);
    expect(() => resolveConfig({ port: 70000 })).toThrow(/port/);
    expect(() => resolveConfig({ retention: { maxEventsPerPartition: -1 } })).toThrow(
      /retention.maxEventsPerPartition/,
    );
  });

  it("when '$default' is configured, then it is not duplicated", () => {
    expect(
      resolveConfig({ hubs: [{ name: 'a', partitionCount: 1, consumerGroups: ['$default', 'ops'] }] }).hubs[0]
        ?.consumerGroups,
    ).toEqual(['$Default', 'ops']);
  });
});
