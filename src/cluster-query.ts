/**
 * The one IPC shape of a replica-wide question with `WORKERS` > 1 (`/metrics`, `/v1/capacity`):
 * the worker a request reaches asks the primary (`<topic>-request`), the primary asks workers for
 * their local part (`<topic>-snapshot-request` → `<topic>-snapshot`), combines what came back in
 * time, and answers the asking worker (`<topic>-answer`, a value or an error). Every wait has a
 * bound, and an answer is matched by id and by the worker that was asked, so a late or stray
 * message settles nothing. What to do with a worker that did not answer is the caller's choice.
 */
import type { Worker } from 'node:cluster';

/** How long the primary waits for a worker's part, and a worker for the primary's answer. */
export const WORKER_ANSWER_MS = 2000;
export const PRIMARY_ANSWER_MS = 5000;

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly value?: unknown;
  readonly error?: unknown;
}

function messageOf(message: unknown, type: string): (Message & { id: number }) | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Message;
  return m.type === type && typeof m.id === 'number' ? (m as Message & { id: number }) : undefined;
}

const typesOf = (topic: string) => ({
  request: `gateway:${topic}-request`,
  answer: `gateway:${topic}-answer`,
  snapshotRequest: `gateway:${topic}-snapshot-request`,
  snapshot: `gateway:${topic}-snapshot`,
});

export interface QueryPrimaryOptions<Part, Answer> {
  readonly topic: string;
  /** The answer to a worker's question; `ask` gets one worker's part (undefined: none in time). */
  readonly answer: (ask: (worker: Worker) => Promise<Part | undefined>) => Promise<Answer>;
  readonly workerAnswerMs?: number;
}

/** The primary's side: feed it every worker message (cluster's `message` event). */
export function createQueryPrimary<Part, Answer>(
  options: QueryPrimaryOptions<Part, Answer>,
): { onMessage(worker: Worker, message: unknown): void } {
  const types = typesOf(options.topic);
  const waitMs = options.workerAnswerMs ?? WORKER_ANSWER_MS;
  const waiting = new Map<number, { worker: Worker; done: (part: Part) => void }>();
  let nextId = 0;

  const ask = (worker: Worker): Promise<Part | undefined> => {
    if (!worker.isConnected()) return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, waitMs);
      timer.unref();
      waiting.set(id, {
        worker,
        done: (part) => {
          clearTimeout(timer);
          resolve(part);
        },
      });
      worker.send({ type: types.snapshotRequest, id });
    });
  };

  return {
    onMessage(worker, message) {
      const part = messageOf(message, types.snapshot);
      if (part !== undefined) {
        const entry = waiting.get(part.id);
        if (entry === undefined || entry.worker !== worker) return;
        waiting.delete(part.id);
        entry.done(part.value as Part);
        return;
      }
      const request = messageOf(message, types.request);
      if (request === undefined) return;
      const { id } = request;
      options.answer(ask).then(
        (value) => worker.isConnected() && worker.send({ type: types.answer, id, value }),
        (error: unknown) =>
          worker.isConnected() && worker.send({ type: types.answer, id, error: String(error) }),
      );
    },
  };
}

export interface QueryWorkerOptions<Part> {
  readonly topic: string;
  /** This worker's part, sent when the primary asks. */
  readonly part: () => Part | Promise<Part>;
  readonly primaryAnswerMs?: number;
}

export interface QueryWorker<Answer> {
  /** False outside a cluster worker (no IPC channel): `ask` would only reject. */
  readonly connected: boolean;
  /** Asks the primary; rejects when it answers an error, does not answer in time, or is not there. */
  ask(): Promise<Answer>;
}

/** A worker's side: answers the primary's requests for its part, and asks the primary. */
export function createQueryWorker<Part, Answer>(options: QueryWorkerOptions<Part>): QueryWorker<Answer> {
  const types = typesOf(options.topic);
  const waitMs = options.primaryAnswerMs ?? PRIMARY_ANSWER_MS;
  const pending = new Map<number, (message: Message) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    const request = messageOf(message, types.snapshotRequest);
    if (request !== undefined) {
      const { id } = request;
      Promise.resolve()
        .then(options.part)
        .then(
          (value) => process.send?.({ type: types.snapshot, id, value }),
          () => undefined,
        );
      return;
    }
    const answer = messageOf(message, types.answer);
    if (answer !== undefined) {
      pending.get(answer.id)?.(answer);
      pending.delete(answer.id);
    }
  });
  return {
    get connected() {
      return process.send !== undefined && process.connected;
    },
    ask() {
      if (process.send === undefined || !process.connected)
        return Promise.reject(new Error('not a cluster worker'));
      const id = nextId++;
      return new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the cluster primary did not answer the ${options.topic} request`));
        }, waitMs);
        timer.unref();
        pending.set(id, (message) => {
          clearTimeout(timer);
          if (message.error === undefined) resolve(message.value as Answer);
          else reject(new Error(typeof message.error === 'string' ? message.error : 'no answer'));
        });
        process.send?.({ type: types.request, id });
      });
    },
  };
}
