/**
 * The gateway's one pino logger. Pretty, human output in development; JSON lines elsewhere (what
 * log shippers parse). Secrets are kept out by `redaction.ts` (redact paths plus a scrubber over
 * every serialised line); the HTTP log serializers (http-logger.ts) also leave headers out.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { createLogDestination, type LogDestination } from './log-destination';
import { redactionLoggerOptions } from './redaction';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Human-readable output (development). Ignored when `destination` is given. */
  readonly pretty?: boolean;
  /** Where lines go; tests pass a capturing stream. Defaults to stdout. */
  readonly destination?: DestinationStream;
  readonly name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pinoOptions = {
    name: options.name ?? 'gateway',
    level: options.level ?? 'info',
    ...redactionLoggerOptions(),
  };
  if (options.destination !== undefined) return pino(pinoOptions, options.destination);
  if (options.pretty === true) {
    // In-process (not a worker transport): development only, and every line is out before exit.
    return pino(pinoOptions, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', sync: true }));
  }
  // Asynchronous, buffered writes: a write(2) per line was the largest single cost on the ingest
  // path, so lines gather up to 4 KiB before a write, and a timer pushes out what a quiet moment
  // leaves behind. A reader that is slow or gone costs dropped, counted lines, never a blocked
  // process (log-destination.ts); the entry point flushes what is left, bounded, before it exits.
  const destination = createLogDestination();
  destinations.add(destination);
  return pino(pinoOptions, destination);
}

const destinations = new Set<LogDestination>();

/** Lines this process's stdout loggers dropped (a full buffer or a broken pipe), for the metric. */
export function droppedLogLines(): number {
  let total = 0;
  for (const destination of destinations) total += destination.droppedLines;
  return total;
}

/** Writes out what the stdout loggers still hold, waiting at most `ms`; never rejects. */
export async function flushLogs(ms: number): Promise<void> {
  await Promise.all([...destinations].map((destination) => destination.flush(ms)));
}
