/**
 * A fake Sink for batcher unit tests: no SDK, no network. Batches count body bytes plus a fixed
 * envelope, sends wait until the test acknowledges or fails them, and everything the batcher asks
 * of the sink is written to a shared trace so a test can assert the exact order of events.
 */
import type { OutgoingEvent } from '../../src/batching/types';
import { SinkError, type Sink, type SinkBatch } from '../../src/sink/types';

/** Bytes a fake batch charges once for its envelope. */
export const FAKE_ENVELOPE_BYTES = 5;

export class FakeBatch implements SinkBatch {
  readonly partitionId: string;
  readonly maxSizeInBytes: number;
  readonly messageIds: string[] = [];
  sizeInBytes = 0;

  constructor(partitionId: string, maxSizeInBytes: number) {
    this.partitionId = partitionId;
    this.maxSizeInBytes = maxSizeInBytes;
  }

  get count(): number {
    return this.messageIds.length;
  }

  tryAdd(event: OutgoingEvent): boolean {
    const size = this.sizeInBytes + event.body.length + (this.count === 0 ? FAKE_ENVELOPE_BYTES : 0);
    if (size > this.maxSizeInBytes) return false;
    this.sizeInBytes = size;
    this.messageIds.push(event.messageId);
    return true;
  }
}

interface PendingSend {
  readonly batch: FakeBatch;
  resolve(): void;
  reject(error: Error): void;
}

export class FakeSink implements Sink {
  maxMessageSize: number | undefined = undefined;
  partitionIds = ['0', '1', '2', '3'];
  /** Size limit of the batches the fake "link" hands out. */
  linkMaxSize: number;
  /** The next N getPartitionIds calls fail with a retryable error. */
  failPartitionIds = 0;
  /** The next N createBatch calls fail with a retryable error. */
  failCreateBatch = 0;
  closed = false;
  readonly trace: string[];
  private readonly inFlight = new Map<string, PendingSend>();
  private readonly scripted: SinkError[] = [];

  constructor(trace: string[], linkMaxSize = 35) {
    this.trace = trace;
    this.linkMaxSize = linkMaxSize;
  }

  getPartitionIds(): Promise<string[]> {
    if (this.failPartitionIds > 0) {
      this.failPartitionIds--;
      this.trace.push('ids failed');
      return Promise.reject(new SinkError('ServiceCommunicationError', true, 'hub unreachable'));
    }
    return Promise.resolve([...this.partitionIds]);
  }

  createBatch(partitionId: string): Promise<SinkBatch> {
    if (this.failCreateBatch > 0) {
      this.failCreateBatch--;
      this.trace.push(`create ${partitionId} failed`);
      return Promise.reject(new SinkError('ServiceCommunicationError', true, 'hub unreachable'));
    }
    this.maxMessageSize = this.linkMaxSize;
    return Promise.resolve(new FakeBatch(partitionId, this.linkMaxSize));
  }

  send(batch: SinkBatch, signal?: AbortSignal): Promise<void> {
    const fake = batch as FakeBatch;
    const partitionId = fake.partitionId;
    this.trace.push(`send ${partitionId} [${fake.messageIds.join(',')}]`);
    if (this.inFlight.has(partitionId)) this.trace.push(`!! second send in flight on ${partitionId}`);
    const scripted = this.scripted.shift();
    if (scripted !== undefined) return Promise.reject(scripted);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.inFlight.delete(partitionId);
        reject(new SinkError('AbortError', false, 'aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.inFlight.set(partitionId, {
        batch: fake,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
    });
  }

  /** The hub accepts the batch in flight on `partitionId`. */
  ack(partitionId: string): void {
    this.take(partitionId).resolve();
  }

  /** The hub rejects the batch in flight on `partitionId`. */
  fail(partitionId: string, code: string, retryable: boolean): void {
    this.take(partitionId).reject(new SinkError(code, retryable, `${code} from the fake hub`));
  }

  /** The next sends (any partition) fail at once with this error, in order. */
  failNextSends(count: number, code: string, retryable: boolean): void {
    for (let i = 0; i < count; i++)
      this.scripted.push(new SinkError(code, retryable, `${code} from the fake hub`));
  }

  inFlightOn(partitionId: string): boolean {
    return this.inFlight.has(partitionId);
  }

  close(): Promise<void> {
    this.closed = true;
    this.trace.push('sink closed');
    return Promise.resolve();
  }

  private take(partitionId: string): PendingSend {
    const pending = this.inFlight.get(partitionId);
    if (pending === undefined) throw new Error(`no send in flight on partition ${partitionId}`);
    this.inFlight.delete(partitionId);
    return pending;
  }
}
