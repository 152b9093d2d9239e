/**
 * The one line a failed start prints on stderr: the settings to fix and what is wrong, never a
 * stack. In production it is a JSON line shaped like the gateway's pino lines (level 60, fatal),
 * so a log shipper keeps it; elsewhere plain text for the person at the terminal.
 */
import { hostname } from 'node:os';
import { ConfigError } from './load-config';
import { StartupError } from './startup-error';

export interface StartupFailure {
  readonly message: string;
  /** The variables named by the failure (empty for an unexpected error). */
  readonly settings: readonly string[];
}

export function describeStartupFailure(error: unknown): StartupFailure {
  if (error instanceof ConfigError) {
    const settings = error.problems.flatMap((problem) =>
      (problem.split(':', 1)[0] ?? problem).split(/ or | and /),
    );
    return { message: error.message, settings: [...new Set(settings)] };
  }
  if (error instanceof StartupError) return { message: error.message, settings: [error.setting] };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `gateway failed to start: ${text}`, settings: [] };
}

/** One line, newline-terminated; line breaks inside messages are folded so it stays one. */
export function startupFailureLine(error: unknown, json: boolean, now: () => number = Date.now): string {
  const { message, settings } = describeStartupFailure(error);
  const oneLine = message.replace(/\s*\n\s*/g, '; ');
  if (!json) return `${oneLine}\n`;
  return `${JSON.stringify({
    level: 60,
    time: now(),
    pid: process.pid,
    hostname: hostname(),
    name: 'gateway',
    settings,
    msg: oneLine,
  })}\n`;
}
