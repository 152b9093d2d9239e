/**
 * Picks the closed-loop load generator: wrk when installed (or asked for), else autocannon,
 * which ships with the project's dev dependencies so `npm run bench` works on any machine.
 */
import type { LoadGeneratorChoice } from '../options';
import { runAutocannon } from './autocannon';
import type { LoadResult, LoadSpec } from './load-result';
import { runWrk, wrkVersion } from './wrk';

export interface PeakLoad {
  /** What the report prints, e.g. "wrk 4.1.0-3+b2 (1 thread)". */
  readonly description: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

export function choosePeakLoad(choice: LoadGeneratorChoice): PeakLoad {
  const wrk = choice === 'autocannon' ? undefined : wrkVersion();
  if (choice === 'wrk' && wrk === undefined) throw new Error('--loadgen wrk: wrk is not installed');
  if (wrk !== undefined) return { description: `${wrk} (1 thread, Lua script)`, run: runWrk };
  const why =
    choice === 'autocannon'
      ? '--loadgen autocannon'
      : 'wrk not found; apt-get install wrk for a lighter client';
  return { description: `autocannon 8 (${why})`, run: runAutocannon };
}
