/**
 * Open-loop paced load: request i is due at start + i / rate whatever happened to the earlier
 * ones, and its latency is measured from that due time, so a stalled server shows up as latency
 * instead of silently slowing the client down (coordinated omission). wrk2 would do this but is
 * not packaged in Debian; autocannon's overallRate paces per connection. Requests go over raw
 * keep-alive sockets (raw-http-connection.ts) so the client's own cost stays small.
 * Child process; argument: one JSON `PacedSpec`; prints `BENCH_JSON` with a `PacedResult`.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { printBenchJson, type LoadResult, type LoadSpec } from './load-result';
import { buildPost, RawHttpConnection } from './raw-http-connection';

export interface PacedSpec extends LoadSpec {
  readonly ratePerS: number;
}

export interface PacedResult extends LoadResult {
  readonly requestedRatePerS: number;
  readonly achievedRatePerS: number;
  /** Largest delay between a request's due time and the moment the client got to it (the client's own lag). */
  readonly maxScheduleLagMs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '{}') as PacedSpec;
  const url = new URL(spec.url);
  const requests = readFileSync(spec.bodiesFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => buildPost(url.host, url.pathname, spec.headers, Buffer.from(line)));
  // A fixed pool of keep-alive connections; a request due while all are busy waits its turn (and
  // that wait counts as latency, as it would for a device).
  const idle: RawHttpConnection[] = [];
  const all: RawHttpConnection[] = [];
  for (let i = 0; i < spec.connections; i++) {
    const connection = new RawHttpConnection(url.hostname, Number(url.port));
    all.push(connection);
    idle.push(connection);
  }
  const waiting: number[] = [];
  const total = Math.max(1, Math.floor(spec.ratePerS * spec.durationS));
  const latencies = new Float64Array(total);
  const intervalMs = 1000 / spec.ratePerS;
  let sent = 0;
  let completed = 0;
  let ok = 0;
  let non2xx = 0;
  let socketErrors = 0;
  let maxScheduleLagMs = 0;
  const start = performance.now();

  const finish = (): void => {
    const elapsedS = (performance.now() - start) / 1000;
    const sorted = latencies.slice(0, ok + non2xx).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    const result: PacedResult = {
      tool: 'paced-client',
      durationS: elapsedS,
      responses: ok + non2xx,
      ok,
      non2xx,
      socketErrors,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? 0) : 0,
        mean: sorted.length > 0 ? sum / sorted.length : 0,
      },
      requestedRatePerS: spec.ratePerS,
      achievedRatePerS: (ok + non2xx) / spec.durationS,
      maxScheduleLagMs,
    };
    printBenchJson(result);
    for (const connection of all) connection.close();
  };

  const settle = (): void => {
    completed++;
    if (completed === total) finish();
  };

  const dueTime = (index: number): number => start + index * intervalMs;

  const fire = (connection: RawHttpConnection, index: number): void => {
    const dueAt = dueTime(index);
    connection.send(
      requests[index % requests.length] ?? Buffer.alloc(0),
      (status) => {
        if (status >= 200 && status < 300) ok++;
        else non2xx++;
        latencies[ok + non2xx - 1] = performance.now() - dueAt;
        settle();
        release(connection);
      },
      () => {
        socketErrors++;
        settle();
        release(connection);
      },
    );
  };

  const release = (connection: RawHttpConnection): void => {
    const next = waiting.shift();
    if (next === undefined) idle.push(connection);
    else fire(connection, next);
  };

  const tick = (): void => {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    while (sent < due) {
      maxScheduleLagMs = Math.max(maxScheduleLagMs, now - dueTime(sent));
      const connection = idle.pop();
      if (connection === undefined) waiting.push(sent);
      else fire(connection, sent);
      sent++;
    }
    if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, dueTime(sent) - now)));
  };
  tick();
  // A server that never answers must not hang the bench: give up 30 s after the last request.
  setTimeout(
    () => {
      if (completed < total) {
        socketErrors += total - completed;
        completed = total;
        finish();
      }
    },
    (spec.durationS + 30) * 1000,
  ).unref();
}

main();
