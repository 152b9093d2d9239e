/**
 * What every load generator reports, whatever the tool: one shape so the report never needs to
 * know whether wrk, autocannon or the paced client produced the numbers. Load generators run as
 * child processes and print their result as one line `BENCH_JSON {...}` on stdout.
 */
import { startChild, type ChildSpec } from '../child';

export interface LatencyMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly tool: string;
  /** Wall time the load ran, seconds (as the tool measured it). */
  readonly durationS: number;
  /** Responses received, any status. */
  readonly responses: number;
  /** Responses with a 2xx status: the only ones that count as throughput. */
  readonly ok: number;
  readonly non2xx: number;
  /** Connect, read and write errors and timeouts. */
  readonly socketErrors: number;
  readonly latencyMs: LatencyMs;
}

export interface LoadSpec {
  readonly url: string;
  readonly bodiesFile: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationS: number;
  readonly cpus: string | undefined;
}

const PREFIX = 'BENCH_JSON ';

/** Extracts the JSON a load-generator child printed, failing with its output when there is none. */
export function parseBenchJson(output: string, tool: string): unknown {
  const line = output.split('\n').find((candidate) => candidate.startsWith(PREFIX));
  if (line === undefined) throw new Error(`${tool} printed no result:\n${output.slice(-2000)}`);
  return JSON.parse(line.slice(PREFIX.length)) as unknown;
}

export function printBenchJson(value: unknown): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(value)}\n`);
}

/** Runs a load-generator child to completion and returns what it printed. */
export async function runToCompletion(spec: ChildSpec, timeoutMs: number): Promise<string> {
  const child = startChild(spec);
  const timer = setTimeout(() => void child.stop(1000), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`${spec.name} exited with ${String(code)}:\n${child.stdout().slice(-2000)}`);
  return child.stdout();
}
