/**
 * Closed-loop peak load with wrk (C, one thread, pinned to its own core): the most load a client
 * can put on a Node server per core, so the server and not the client is what saturates.
 * Bodies rotate through a file via bench/load/post.lua; latencies come from wrk's own histogram.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseBenchJson, runToCompletion, type LoadResult, type LoadSpec } from './load-result';

interface WrkJson {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

export function wrkVersion(): string | undefined {
  try {
    // wrk prints its version with a usage text and exits 1.
    execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: 'pipe' });
    return 'wrk';
  } catch (error) {
    const stdout = (error as { stdout?: unknown }).stdout;
    const output = typeof stdout === 'string' ? stdout : '';
    const match = /^wrk (\S+)/m.exec(output);
    return match ? `wrk ${match[1]}` : undefined;
  }
}

export async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const headerArgs = Object.entries(spec.headers).map(([name, value]) => `${name}: ${value}`);
  const url = new URL(spec.url);
  const output = await runToCompletion(
    {
      name: 'wrk',
      command: 'wrk',
      args: [
        '-t1',
        `-c${spec.connections}`,
        `-d${spec.durationS}s`,
        '--timeout',
        '30s',
        '-s',
        join(__dirname, 'post.lua'),
        url.origin,
        '--',
        spec.bodiesFile,
        url.pathname,
        ...headerArgs,
      ],
      cpus: spec.cpus,
    },
    (spec.durationS + 60) * 1000,
  );
  const json = parseBenchJson(output, 'wrk') as WrkJson;
  return {
    tool: 'wrk',
    durationS: json.durationUs / 1e6,
    responses: json.requests,
    ok: json.requests - json.statusErrors,
    non2xx: json.statusErrors,
    socketErrors: json.connectErrors + json.readErrors + json.writeErrors + json.timeouts,
    latencyMs: {
      p50: json.p50Us / 1000,
      p90: json.p90Us / 1000,
      p99: json.p99Us / 1000,
      max: json.maxUs / 1000,
      mean: json.meanUs / 1000,
    },
  };
}
