/**
 * The primary's side of a replica-wide question: every live worker is asked for its part, answers
 * are matched by id and by the worker asked (a stray or late one settles nothing), a worker that
 * stays silent counts as "no part" after the bound, and the asker gets the combined answer.
 */
import type { Worker } from 'node:cluster';
import { createQueryPrimary } from './cluster-query';

interface Sent {
  readonly type: string;
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}

function fakeWorker(): Worker & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    isConnected: () => true,
    send: (message: Sent) => {
      sent.push(message);
      return true;
    },
  } as unknown as Worker & { sent: Sent[] };
}

/** Resolves once `worker` has been sent a message of `type`. */
async function nextSent(worker: { sent: Sent[] }, type: string): Promise<Sent> {
  for (;;) {
    const found = worker.sent.find((m) => m.type === type);
    if (found !== undefined) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('createQueryPrimary', () => {
  it('when a worker asks, then every worker is asked, answers are matched by worker, a silent one counts as none, and the asker gets the result', async () => {
    const [asker, quiet, other] = [fakeWorker(), fakeWorker(), fakeWorker()];
    const primary = createQueryPrimary<number, (number | undefined)[]>({
      topic: 'test',
      answer: (ask) => Promise.all([asker, quiet, other].map(ask)),
      workerAnswerMs: 50,
    });
    primary.onMessage(asker, { type: 'gateway:test-request', id: 7 });
    const [a, , o] = await Promise.all(
      [asker, quiet, other].map((w) => nextSent(w, 'gateway:test-snapshot-request')),
    );
    // A part from a worker that was not asked under that id is ignored.
    primary.onMessage(asker, { type: 'gateway:test-snapshot', id: o!.id, value: 999 });
    primary.onMessage(asker, { type: 'gateway:test-snapshot', id: a!.id, value: 1 });
    primary.onMessage(other, { type: 'gateway:test-snapshot', id: o!.id, value: 3 });
    const answer = await nextSent(asker, 'gateway:test-answer');
    expect(answer).toEqual({ type: 'gateway:test-answer', id: 7, value: [1, undefined, 3] });
    // Late: nothing left to settle, nothing more sent.
    primary.onMessage(other, { type: 'gateway:test-snapshot', id: o!.id, value: 4 });
    expect(asker.sent.filter((m) => m.type === 'gateway:test-answer')).toHaveLength(1);
  });

  it('when the answer cannot be made, then the asker gets the error', async () => {
    const asker = fakeWorker();
    const primary = createQueryPrimary<number, number>({
      topic: 'test',
      answer: () => Promise.reject(new Error('merge failed')),
    });
    primary.onMessage(asker, { type: 'gateway:test-request', id: 1 });
    expect(await nextSent(asker, 'gateway:test-answer')).toEqual({
      type: 'gateway:test-answer',
      id: 1,
      error: 'Error: merge failed',
    });
  });
});
