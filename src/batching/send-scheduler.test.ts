import type { SinkBatch } from '../sink/types';
import type { LoadGauge } from './loop-load';
import { OpenBatch } from './open-batch';
import { SendScheduler } from './send-scheduler';

/** Fake timers: the test fires them by hand. */
function timers() {
  const armed: { ms: number; fn: () => void }[] = [];
  return {
    armed,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { ms, fn };
      armed.push(t);
      return t;
    },
    clearTimeout: (t: unknown) => {
      const i = armed.indexOf(t as (typeof armed)[number]);
      if (i >= 0) armed.splice(i, 1);
    },
  };
}

function openAt(firstAt: number, full = false): OpenBatch<null> {
  const open = new OpenBatch<null>({ count: 1 } as SinkBatch);
  open.firstAt = firstAt;
  open.full = full;
  return open;
}

describe('SendScheduler', () => {
  let now = 0;
  const idleLoop: LoadGauge = {
    mark: () => undefined,
    saturatedSince: () => false,
    saturatedRecently: () => false,
  };
  const make = (wake = () => undefined) => {
    const t = timers();
    const scheduler = new SendScheduler(
      { lingerMs: 5, lingerUnderLoadMs: 50, load: idleLoop, clock: () => now, timers: t },
      wake,
    );
    return { scheduler, t };
  };

  beforeEach(() => {
    now = 0;
  });

  it('when the batch is full, then it leaves at once, linger or not', () => {
    expect(make().scheduler.due(openAt(0, true))).toBe(true);
  });

  it('when its linger has not run out, then it waits and one timer wakes the channel at the linger’s end', () => {
    const woke: number[] = [];
    const { scheduler, t } = make(() => {
      woke.push(now);
    });
    now = 2;
    expect(scheduler.due(openAt(0))).toBe(false);
    expect(scheduler.due(openAt(0))).toBe(false);
    expect(t.armed.map((a) => a.ms)).toEqual([3]);
    now = 5;
    t.armed.shift()!.fn();
    expect(woke).toEqual([5]);
    expect(scheduler.due(openAt(0))).toBe(true);
  });

  it('when draining, then a partial batch leaves at once', () => {
    const { scheduler } = make();
    scheduler.drainNow();
    expect(scheduler.due(openAt(0))).toBe(true);
  });

  it('when a batch is in flight, then sending is true until it ended', () => {
    const { scheduler } = make();
    expect(scheduler.sending).toBe(false);
    scheduler.sendStarted(0);
    expect([scheduler.sending, scheduler.inFlightSince]).toEqual([true, 0]);
    scheduler.sendEnded();
    expect(scheduler.sending).toBe(false);
  });

  it('when the batch left, then its pending timer is cancelled', () => {
    const { scheduler, t } = make();
    now = 1;
    scheduler.due(openAt(0));
    expect(t.armed).toHaveLength(1);
    scheduler.left();
    expect(t.armed).toHaveLength(0);
  });
});
