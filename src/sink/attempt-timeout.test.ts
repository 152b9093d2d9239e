import { AttemptTimeout } from './attempt-timeout';

const policy = { floorMs: 1000, ceilingMs: 5000, multiplier: 4, window: 3 };

describe('AttemptTimeout', () => {
  it('when nothing was observed yet, then the bound is the ceiling (a first link set-up may be slow)', () => {
    expect(new AttemptTimeout(policy).currentMs()).toBe(5000);
  });

  it('when the hub answers fast, then the bound is the floor', () => {
    const timeout = new AttemptTimeout(policy);
    timeout.observe(3);
    timeout.observe(12);
    expect(timeout.currentMs()).toBe(1000);
  });

  it('when the hub is slow, then the bound follows the slowest recent sample, capped by the ceiling', () => {
    const timeout = new AttemptTimeout(policy);
    timeout.observe(400);
    expect(timeout.currentMs()).toBe(1600);
    timeout.observe(2000);
    expect(timeout.currentMs()).toBe(5000);
  });

  it('when a slow sample leaves the window, then the bound comes down again', () => {
    const timeout = new AttemptTimeout(policy);
    timeout.observe(900);
    for (let i = 0; i < 3; i++) timeout.observe(10);
    expect(timeout.currentMs()).toBe(1000);
  });

  it('when the policy contradicts itself, then it throws naming the option', () => {
    expect(() => new AttemptTimeout({ ...policy, ceilingMs: 10 })).toThrow(/ceilingMs/);
    expect(() => new AttemptTimeout({ ...policy, floorMs: 0 })).toThrow(/floorMs/);
  });
});
