import type { Figures } from './measure';
import { fillBound, gatewayEfficiency, gatewayRatios } from './report';
import { summariseSoak } from './soak';
import type { PacedResult } from './load/paced-client';
import { parseStat } from './process-stats';

const figure = (target: Figures['target'], eventsPerS: number, cpuUsPerEvent: number): Figures => ({
  target,
  label: target,
  body: 'single',
  tool: 'wrk',
  rounds: 1,
  durationS: 1,
  ok: eventsPerS,
  non2xx: 0,
  socketErrors: 0,
  reqPerS: eventsPerS,
  eventsPerS,
  latencyMs: { p50: 1, p90: 1, p99: 1, max: 1, mean: 1 },
  cpuUsPerEvent,
  cpuCores: 1,
  otherCores: 0,
  rssBytes: 0,
  batches:
    target === 'gateway'
      ? {
          transfers: 10,
          eventsPerBatch: 100,
          bytesPerBatch: 50_000,
          fill: 0.05,
          maxBytes: 60_000,
          events: 1000,
        }
      : undefined,
});

describe('report ratios', () => {
  const figures = [figure('typical', 2000, 300), figure('naive', 1000, 400), figure('gateway', 4000, 100)];

  it('when the gateway and baselines ran, then throughput ratios divide the gateway by each', () => {
    expect(gatewayRatios(figures, 'single')).toEqual({ typical: 2, naive: 4 });
  });

  it('when CPU per event is known, then efficiency is the baseline cost over the gateway cost', () => {
    expect(gatewayEfficiency(figures, 'single')).toEqual({ typical: 3, naive: 4 });
  });

  it('when an earlier build ran beside it (--against), then each build gets ratios to the other and the baselines', () => {
    const withPrevious = [...figures, figure('previous', 5000, 80)];
    expect(gatewayRatios(withPrevious, 'single')).toEqual({ typical: 2, naive: 4, previous: 0.8 });
    expect(gatewayRatios(withPrevious, 'single', 'previous')).toEqual({
      typical: 2.5,
      naive: 5,
      gateway: 1.25,
    });
    expect(gatewayEfficiency(withPrevious, 'single', 'previous')).toEqual({
      typical: 3.75,
      naive: 5,
      gateway: 1.25,
    });
  });

  it('when few requests are in flight, then the fill bound says how full batches can get', () => {
    // 64 connections × 1 event × 500 bytes over 4 partitions of 1 MiB.
    expect(fillBound(figures[2]!, 64, 1, 4, 1048576)).toBeCloseTo((64 * 500) / (4 * 1048576));
  });
});

describe('summariseSoak', () => {
  it('when RSS grows, then change compares the last window with the first', () => {
    const samples = Array.from({ length: 10 }, (_, i) => ({ atS: i + 1, rssBytes: i < 5 ? 100 : 120 }));
    const summary = summariseSoak(samples, 100, 10, {} as PacedResult);
    expect(summary.windowS).toBe(2);
    expect(summary.firstWindowMeanBytes).toBe(100);
    expect(summary.lastWindowMeanBytes).toBe(120);
    expect(summary.change).toBeCloseTo(0.2);
    expect(summary.minBytes).toBe(100);
    expect(summary.maxBytes).toBe(120);
  });
});

describe('parseStat', () => {
  it('when the command name has spaces and parentheses, then fields are still found', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const stat = parseStat(`42 (node (x) y) ${fields.join(' ')}`);
    // ppid is field 4, utime 14, stime 15, rss 24.
    expect(stat).toEqual({ pid: 42, ppid: 4, ticks: 14 + 15, rssPages: 24 });
  });
});
