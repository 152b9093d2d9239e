/**
 * The capacity figures from a meter driven on a fake clock: rates over the last minute and the
 * peak full minute, throughput units and partitions by the sizing rules, throttling and batch
 * fill, and two workers' meters merged into one replica's.
 */
import { advisedPartitions, capacityReport, throughputUnits } from './capacity-report';
import { createIngressMeter, mergeSnapshots } from './ingress-meter';

const T0 = 1_800_000_000_000; // a whole second

function drive(
  meter: ReturnType<typeof createIngressMeter>,
  clock: { now: number },
  perSecond: number,
  seconds: number,
  bytesPerEvent: number,
): void {
  for (let s = 0; s < seconds; s++) {
    meter.accepted('telemetry', 'telemetry', perSecond, perSecond * bytesPerEvent);
    clock.now += 1000;
  }
}

describe('capacity report', () => {
  it('when the rules are applied, then TUs are max(MB/s, events/s ÷ 1000) rounded up and partitions follow load × growth, consumers and the tier cap', () => {
    expect(throughputUnits({ eventsPerSecond: 0, bytesPerSecond: 0 })).toBe(1);
    expect(throughputUnits({ eventsPerSecond: 1000, bytesPerSecond: 0 })).toBe(1);
    expect(throughputUnits({ eventsPerSecond: 1001, bytesPerSecond: 0 })).toBe(2);
    expect(throughputUnits({ eventsPerSecond: 10, bytesPerSecond: 3.5 * 1_048_576 })).toBe(4);
    const a = { tier: 'standard' as const, growthFactor: 2, consumers: 1 };
    expect(advisedPartitions(2500, a)).toBe(5);
    expect(advisedPartitions(100, { ...a, consumers: 8 })).toBe(8);
    expect(advisedPartitions(40_000, a)).toBe(32);
    expect(advisedPartitions(40_000, { ...a, tier: 'premium' })).toBe(80);
  });

  it('when 2500 events/s of 500 bytes ran for two minutes and then 100 events/s, then the last minute, the peak minute and the advice say so', () => {
    const clock = { now: T0 };
    const meter = createIngressMeter(() => clock.now);
    meter.partitions('telemetry', 4);
    drive(meter, clock, 2500, 120, 500);
    drive(meter, clock, 100, 30, 500);
    meter.throttled('telemetry');
    clock.now += 500;
    const hub = capacityReport(meter.snapshot()).hubs[0]!;

    // Window: seconds 91..150 = 29 s at 2500/s + 30 s at 100/s (+ the throttle second), over 59.5 s.
    const lastEvents = (29 * 2500 + 30 * 100) / 59.5;
    expect(hub.ingress.lastMinute.eventsPerSecond).toBeCloseTo(lastEvents, 1);
    expect(hub.ingress.lastMinute.bytesPerSecond).toBeCloseTo(lastEvents * 500, 0);
    expect(hub.ingress.peakMinute).toMatchObject({ eventsPerSecond: 2500, bytesPerSecond: 1_250_000 });
    expect(hub.throughputUnits).toEqual({ lastMinute: 2, peakMinute: 3 });
    expect(hub.partitions).toEqual({ actual: 4, advised: 5, max: 32 });
    expect(hub.throttling).toEqual({ serverBusyLastMinute: 1, serverBusyLastHour: 1 });
    expect(hub.batches.lastMinute).toMatchObject({ count: 0, fillPercent: 0 });
    expect(hub.eventTypes.map((t) => t.type)).toEqual(['telemetry']);
    expect(hub.recommendation).toContain('Use at least 5 partitions (it has 4');
    expect(hub.recommendation).toContain('ServerBusy');
  });

  it('when batches were sent, then the bytes are the batches’ encoded sizes, shared among types by their events’ sizes, and fill is their mean', () => {
    const clock = { now: T0 };
    const meter = createIngressMeter(() => clock.now);
    for (let s = 0; s < 10; s++) {
      meter.accepted('telemetry', 'telemetry', 90, 9000);
      meter.accepted('telemetry', 'alarm', 10, 1000);
      meter.batchSent('telemetry', 100, 11_000, 110_000);
      clock.now += 1000;
    }
    const hub = capacityReport(meter.snapshot()).hubs[0]!;
    expect(hub.ingress.lastMinute).toEqual({ eventsPerSecond: 100, bytesPerSecond: 11_000, seconds: 10 });
    expect(hub.eventTypes.map((t) => [t.type, t.ingress.lastMinute.bytesPerSecond])).toEqual([
      ['telemetry', 9900],
      ['alarm', 1100],
    ]);
    expect(hub.batches.lastMinute).toEqual({
      count: 10,
      eventsPerBatch: 100,
      bytesPerBatch: 11_000,
      fillPercent: 10,
    });
  });

  it('when metering began less than a minute ago, then rates are over the time since and the peak is that same figure', () => {
    const clock = { now: T0 + 250 };
    const meter = createIngressMeter(() => clock.now);
    drive(meter, clock, 300, 10, 100);
    const hub = capacityReport(meter.snapshot()).hubs[0]!;
    expect(hub.ingress.lastMinute).toEqual({ eventsPerSecond: 300, bytesPerSecond: 30_000, seconds: 10 });
    expect(hub.ingress.peakMinute).toMatchObject({ eventsPerSecond: 300, bytesPerSecond: 30_000 });
  });

  it('when two workers metered the same seconds, then the replica’s figures are their sum', () => {
    const clock = { now: T0 };
    const a = createIngressMeter(() => clock.now);
    const b = createIngressMeter(() => clock.now);
    for (let s = 0; s < 10; s++) {
      a.accepted('telemetry', 'telemetry', 100, 1000);
      b.accepted('telemetry', 'telemetry', 50, 500);
      b.accepted('telemetry', 'alarm', 5, 50);
      clock.now += 1000;
    }
    a.partitions('telemetry', 4);
    const hub = capacityReport(mergeSnapshots([a.snapshot(), b.snapshot()])).hubs[0]!;
    expect(hub.ingress.lastMinute).toEqual({ eventsPerSecond: 155, bytesPerSecond: 1550, seconds: 10 });
    expect(hub.eventTypes.map((t) => [t.type, t.ingress.lastMinute.eventsPerSecond])).toEqual([
      ['telemetry', 150],
      ['alarm', 5],
    ]);
    expect(hub.partitions.actual).toBe(4);
  });
});
