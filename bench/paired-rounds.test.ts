import type { Round } from './measure';
import { formatPaired, pairedRoundRatios } from './paired-rounds';

const round = (ok: number, durationS: number, cpuS: number): Round => ({
  load: {
    tool: 'test',
    durationS,
    responses: ok,
    ok,
    non2xx: 0,
    socketErrors: 0,
    latencyMs: { p50: 1, p90: 1, p99: 1, max: 1, mean: 1 },
  },
  targetCpuUs: cpuS * 1e6,
  transfers: { transfers: 0, events: 0, bytes: 0, maxBytes: 0 },
  otherCpuUs: 0,
  rssBytes: 0,
});

describe('paired round ratios', () => {
  it('when each round has both builds, then one ratio per round, after over before', () => {
    const after = [round(1100, 5, 5), round(900, 5, 4.5), round(1000, 5, 4)];
    const before = [round(1000, 5, 5), round(1000, 5, 5), round(1000, 5, 5)];
    const paired = pairedRoundRatios(after, before);
    expect(paired.throughput.map((r) => r.toFixed(2))).toEqual(['1.10', '0.90', '1.00']);
    expect(paired.perCpuSecond.map((r) => r.toFixed(2))).toEqual(['1.10', '1.00', '1.25']);
  });

  it('when a round of one build answered nothing, then that round has no pair', () => {
    const paired = pairedRoundRatios(
      [round(0, 5, 1), round(1000, 5, 5)],
      [round(1000, 5, 5), round(500, 5, 5)],
    );
    expect(paired.throughput).toEqual([2]);
  });

  it('when formatted, then the ratios, their median, range and how many fell below 1', () => {
    const text = formatPaired({ throughput: [1.1, 0.9, 1], perCpuSecond: [] }, 'gateway @abc1234');
    expect(text).toBe(
      'gateway ÷ gateway @abc1234 per round, events/s: 1.10 0.90 1.00 (median 1.00, 0.90–1.10, 1 of 3 below 1)\n' +
        'gateway ÷ gateway @abc1234 per round, events per CPU-second: n/a',
    );
  });
});
