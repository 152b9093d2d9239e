/**
 * Child process that runs autocannon once, the fallback load generator where wrk is not
 * installed. Arguments: one JSON `LoadSpec`. Prints `BENCH_JSON` with a `LoadResult`.
 * Node-based, so it saturates below wrk: the report says which tool produced the numbers.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { printBenchJson, type LoadResult, type LoadSpec } from './load-result';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const bodies = readFileSync(spec.bodiesFile, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);
let next = Math.floor(Math.random() * bodies.length);

autocannon(
  {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    requests: [
      {
        setupRequest: (request) => {
          next = (next + 1) % bodies.length;
          request.body = bodies[next];
          return request;
        },
      },
    ],
  },
  (error, result) => {
    if (error) throw error;
    const output: LoadResult = {
      tool: 'autocannon',
      durationS: result.duration,
      responses: result['2xx'] + result.non2xx,
      ok: result['2xx'],
      non2xx: result.non2xx,
      socketErrors: result.errors,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: result.latency.mean,
      },
    };
    printBenchJson(output);
  },
);
