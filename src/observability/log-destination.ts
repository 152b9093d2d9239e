/**
 * Where JSON log lines go (stdout): written asynchronously, a batch of lines at a time, and never
 * at the cost of the gateway's own work. A log reader that stops reading, or one that is gone
 * (`| head` exited: EPIPE), must not stall requests, grow memory or hold the process at exit:
 * - lines gather up to `minLength` before a write; what the reader has not taken yet counts
 *   against `maxBufferedBytes`, and lines beyond it are dropped and counted (a stuck reader costs
 *   a bounded buffer, nothing more);
 * - a failed write breaks the destination for good: what it held and every later line is
 *   dropped and counted, never retried;
 * - it writes through `process.stdout`, which Node writes without blocking for pipes and sockets
 *   (no thread parked in write(2), which would also hold the process at exit), and nothing is
 *   written at exit: the entry point awaits `flush(ms)`, bounded, before it exits.
 */

export interface LogDestinationOptions {
  /** Where to write. Default `process.stdout`. */
  readonly stream?: NodeJS.WritableStream & { readonly writableLength: number };
  /** Lines gather up to this many characters before a write (a write per line costs CPU). Default 4096. */
  readonly minLength?: number;
  /** What a quiet moment leaves behind is written within this. Default 200 ms. */
  readonly flushIntervalMs?: number;
  /** Lines that would hold more than this many characters unwritten are dropped. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
}

export interface LogDestination {
  /** pino's destination interface: one serialised line. */
  write(line: string): void;
  /** Resolves once what is buffered is written, or after `ms`; never rejects, never blocks. */
  flush(ms: number): Promise<void>;
  /** Lines dropped so far (buffer full, or the destination broke). */
  readonly droppedLines: number;
  /** Why the destination stopped writing (e.g. EPIPE), once it did. */
  readonly brokenBy: string | undefined;
}

export function createLogDestination(options: LogDestinationOptions = {}): LogDestination {
  return new AsyncLogDestination(options);
}

class AsyncLogDestination implements LogDestination {
  droppedLines = 0;
  brokenBy: string | undefined = undefined;
  private readonly stream: NonNullable<LogDestinationOptions['stream']>;
  private readonly minLength: number;
  private readonly maxBufferedBytes: number;
  private pending: string[] = [];
  private pendingChars = 0;
  /** Chunks handed to the stream whose write has not completed yet. */
  private unconfirmed = 0;
  private waiters: (() => void)[] = [];

  constructor(options: LogDestinationOptions) {
    this.stream = options.stream ?? process.stdout;
    this.minLength = options.minLength ?? 4096;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    // Without a listener an EPIPE would be an uncaught exception; the write callbacks count it.
    this.stream.on('error', (error: NodeJS.ErrnoException) => this.broke(error));
    setInterval(() => this.writeOut(), options.flushIntervalMs ?? 200).unref();
  }

  write(line: string): void {
    if (
      this.brokenBy !== undefined ||
      this.stream.writableLength + this.pendingChars + line.length > this.maxBufferedBytes
    ) {
      this.droppedLines++;
      return;
    }
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= this.minLength) this.writeOut();
  }

  flush(ms: number): Promise<void> {
    this.writeOut();
    if (this.unconfirmed === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private writeOut(): void {
    if (this.pending.length === 0 || this.brokenBy !== undefined) return;
    const lines = this.pending.length;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.unconfirmed++;
    try {
      this.stream.write(chunk, (error?: Error | null) => this.written(lines, error));
    } catch (error) {
      // A stream already destroyed may throw instead of calling back.
      this.written(lines, error as Error);
    }
  }

  private written(lines: number, error: Error | null | undefined): void {
    this.unconfirmed--;
    if (error !== null && error !== undefined) {
      this.droppedLines += lines;
      this.broke(error);
    }
    if (this.unconfirmed === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  private broke(error: NodeJS.ErrnoException): void {
    if (this.brokenBy !== undefined) return;
    this.brokenBy = error.code ?? error.message;
    this.droppedLines += this.pending.length;
    this.pending = [];
    this.pendingChars = 0;
  }
}
