/**
 * The gateway's one pino logger. Pretty, human output in development; JSON lines elsewhere (what
 * log shippers parse). Secrets are kept out by `redaction.ts` (redact paths plus a scrubber over
 * every serialised line); the HTTP log serializers (http-logger.ts) also leave headers out.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
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
  // path (issue 6), so lines gather up to 4 KiB before a write, and a timer pushes out what a quiet
  // moment leaves behind within FLUSH_INTERVAL_MS. pino flushes what is left synchronously on exit
  // (also after process.exit), so only a SIGKILL can lose the last lines.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  destination.once('close', () => clearInterval(timer));
  return pino(pinoOptions, destination);
}

const FLUSH_INTERVAL_MS = 200;
