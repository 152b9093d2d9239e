/**
 * Runs the RSS soak: a fresh gateway process (never profiled), paced single-reading load for
 * `options.soakS` seconds, its process tree's RSS sampled once a second meanwhile. A warm-up at the
 * same rate comes first, unsampled: a fresh process grows its heap and compiles its hot code in its
 * first seconds, which is start-up, not the drift the soak is looking for.
 */
import type { BodyPool } from './bodies';
import type { EmulatorLink } from './emulator-link';
import { runPaced } from './load/paced';
import type { BenchOptions } from './options';
import type { ProcessTreeStats } from './process-stats';
import { SOAK_WARMUP_S, summariseSoak, type RssSample, type SoakSummary } from './soak';
import { gatewayTarget } from './targets/gateway';

export interface SoakRunOptions {
  readonly options: BenchOptions;
  readonly emulator: EmulatorLink;
  readonly stats: ProcessTreeStats;
  readonly pool: BodyPool & { readonly file: string };
  readonly ratePerS: number;
  readonly cpus: { readonly load: string | undefined; readonly target: string | undefined };
  readonly logFile: string;
}

export async function runSoak(run: SoakRunOptions): Promise<SoakSummary> {
  const running = await gatewayTarget.start({
    options: { ...run.options, profile: false },
    emulator: run.emulator,
    cpus: run.cpus.target,
    logFile: run.logFile,
    resultsDir: run.options.resultsDir,
  });
  const load = (durationS: number): ReturnType<typeof runPaced> =>
    runPaced({
      url: running.url,
      headers: running.headers,
      bodiesFile: run.pool.file,
      connections: run.options.connections,
      durationS,
      cpus: run.cpus.load,
      ratePerS: run.ratePerS,
    });
  const samples: RssSample[] = [];
  await load(SOAK_WARMUP_S);
  const started = Date.now();
  const timer = setInterval(() => {
    samples.push({ atS: (Date.now() - started) / 1000, rssBytes: run.stats.sample(running.pid).rssBytes });
  }, 1000);
  try {
    return summariseSoak(samples, run.ratePerS, run.options.soakS, await load(run.options.soakS));
  } finally {
    clearInterval(timer);
    await running.stop();
  }
}
