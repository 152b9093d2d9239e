/**
 * `npm run bench`: in one invocation, on loopback, loads the ceiling (bare node:http), the
 * typical Express stack, the naive sender and the gateway — each in its own process, each for a
 * fixed time after a warm-up, with single-reading and 100-reading bodies — against the emulator
 * in its own process; then a paced run at half the gateway's peak, optionally an RSS soak and a
 * CPU profile. Prints tables, ratios and the issue's checks; writes bench/results/latest.json.
 * Ratios from one run on one machine are the result; absolute numbers only describe the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PARTITION_COUNT } from '../emulator/well-known';
import { CONFIG_VARIABLES } from '../src/config/schema';
import { bodyPool, type BodyPool } from './bodies';
import { canPin } from './child';
import { startEmulatorProcess } from './emulator-link';
import { runPaced } from './load/paced';
import { choosePeakLoad } from './load/peak-load';
import { describeMachine, formatMachine } from './machine';
import type { LoadSpec } from './load/load-result';
import { combineRounds, measureRound, type Figures, type MeasureContext, type Round } from './measure';
import { parseOptions, UsageError, type BenchOptions, type BodyKind, type TargetName } from './options';
import { formatPaired, pairedRoundRatios, type PairedRatios } from './paired-rounds';
import { createProcessTreeStats } from './process-stats';
import { profileSummary } from './profile';
import * as report from './report';
import type { SdkFloorResult } from './sdk-floor';
import { runSdkFloor } from './sdk-floor-run';
import { runSoak } from './soak-run';
import { TARGETS } from './targets';
import { preparePreviousBuild } from './previous-build';
import { buildGateway, previousGatewayTarget } from './targets/gateway';
import type { RunningTarget, TargetDefinition } from './targets/target';

interface Cores {
  readonly load: string | undefined;
  readonly target: string | undefined;
  readonly note: string;
}

async function planCores(options: BenchOptions, cores: number): Promise<Cores> {
  if (!options.pin) return { load: undefined, target: undefined, note: 'not pinned (--no-pin)' };
  if (cores < 2) return { load: undefined, target: undefined, note: 'not pinned (one core)' };
  if (!(await canPin())) return { load: undefined, target: undefined, note: 'not pinned (no taskset)' };
  const load = String(cores - 1);
  const clustered = options.workers !== undefined && options.workers !== '1';
  const target = clustered ? undefined : cores === 2 ? '0' : `0-${cores - 2}`;
  return {
    load,
    target,
    note: `load generator and emulator on core ${load}, targets on ${target ?? 'any core (WORKERS set)'}`,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const machine = describeMachine();
  const logDir = join(options.resultsDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const cores = await planCores(options, machine.cores);
  const lingerMs = Number(process.env.LINGER_MS ?? CONFIG_VARIABLES.LINGER_MS.default);
  const pools = new Map<BodyKind, BodyPool & { file: string }>();
  for (const kind of options.bodies) {
    const pool = bodyPool(kind);
    const file = join(options.resultsDir, `bodies-${kind}.ndjson`);
    writeFileSync(file, `${pool.bodies.join('\n')}\n`);
    pools.set(kind, { ...pool, file });
  }
  if (options.targets.includes('gateway') && options.build) buildGateway();
  // The earlier build runs right before this one in every round: before/after from one run.
  const previous =
    options.against === undefined
      ? undefined
      : previousGatewayTarget(preparePreviousBuild(options.against, options.resultsDir));
  const definitions = new Map<TargetName, TargetDefinition>();
  for (const name of options.targets) {
    if (name === 'gateway' && previous) definitions.set('previous', previous);
    definitions.set(name, TARGETS[name]);
  }
  if (previous && !definitions.has('previous')) definitions.set('previous', previous);
  const peak = choosePeakLoad(options.loadGenerator);
  const stats = createProcessTreeStats();
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(`machine: ${formatMachine(machine)}`);
  log(`load: ${peak.description}, ${options.connections} connections; ${cores.note}`);
  log(
    `timing: per body, ${options.warmupS} s warm-up per target, then ${options.rounds} round(s) of ` +
      `${Math.max(1, Math.round(options.durationS / options.rounds))} s per target, interleaved; paced ${options.pacedS} s` +
      (options.profile ? '; PROFILING the gateway (its figures are not representative)' : ''),
  );

  const figures: Figures[] = [];
  /** With --against: per body, the gateway's ratio to the earlier build in each round. */
  const paired = new Map<BodyKind, PairedRatios>();
  const paced: report.PacedFigures[] = [];
  let soak: Awaited<ReturnType<typeof runSoak>> | undefined;
  let sdkFloor: SdkFloorResult | undefined;
  const startedAt = Date.now();
  const emulator = await startEmulatorProcess({ cpus: cores.load, logFile: join(logDir, 'emulator.log') });
  const maxMessageSize = emulator.maxMessageSize;
  const running = new Map<TargetName, RunningTarget>();
  let context: MeasureContext;
  let saturation: Figures | undefined;
  try {
    // All targets run side by side (idle ones cost nothing) so rounds can be interleaved.
    for (const [name, definition] of definitions) {
      running.set(
        name,
        await definition.start({
          options,
          emulator,
          cpus: cores.target,
          logFile: join(logDir, `${name}.log`),
          resultsDir: options.resultsDir,
        }),
      );
    }
    context = { stats, emulator, run: peak.run.bind(peak) };
    const roundS = Math.max(1, Math.round(options.durationS / options.rounds));
    for (const [kind, pool] of pools) {
      const spec = (target: RunningTarget, durationS: number): LoadSpec => ({
        url: target.url,
        headers: target.headers,
        bodiesFile: pool.file,
        connections: options.connections,
        durationS,
        cpus: cores.load,
      });
      for (const target of running.values()) await peak.run(spec(target, options.warmupS));
      const rounds = new Map<TargetName, Round[]>();
      for (let round = 0; round < options.rounds; round++) {
        for (const [name, target] of running) {
          const result = await measureRound(context, target, spec(target, roundS));
          rounds.set(name, [...(rounds.get(name) ?? []), result]);
        }
      }
      const after = rounds.get('gateway');
      const before = rounds.get('previous');
      if (after && before) paired.set(kind, pairedRoundRatios(after, before));
      for (const [name, results] of rounds) {
        const definition = definitions.get(name)!; // rounds are kept only for started targets
        const result = combineRounds(definition, pool, results, stats.available, emulator.maxMessageSize);
        figures.push(result);
        const errors = result.non2xx + result.socketErrors;
        log(
          `  ${result.label} / ${kind}: ${Math.round(result.reqPerS)} req/s, p99 ${result.latencyMs.p99.toFixed(1)} ms` +
            (errors > 0
              ? `, ${result.non2xx} non-2xx, ${result.socketErrors} socket errors (see ${name}.log)`
              : ''),
        );
      }
      const gateway = running.get('gateway');
      const gatewayPeak = figures.find((f) => f.target === 'gateway' && f.body === kind);
      if (!gateway || !gatewayPeak || gatewayPeak.reqPerS <= 0) continue;
      const ratePerS = gatewayPeak.reqPerS * options.pacedFraction;
      emulator.reset();
      const result = await runPaced({ ...spec(gateway, options.pacedS), ratePerS });
      paced.push({ body: kind, fraction: options.pacedFraction, ratePerS, result });
      log(`  ${report.formatPaced(paced[paced.length - 1]!, lingerMs)}`);
    }
    // Durable acknowledgement bounds a batch by the events in flight: fill needs many connections.
    const gateway = running.get('gateway');
    const batchPool = pools.get('batch');
    if (gateway && batchPool && options.saturationConnections > 0) {
      const spec: LoadSpec = {
        url: gateway.url,
        headers: gateway.headers,
        bodiesFile: batchPool.file,
        connections: options.saturationConnections,
        durationS: options.warmupS,
        cpus: cores.load,
      };
      await peak.run(spec);
      const round = await measureRound(context, gateway, { ...spec, durationS: roundS });
      saturation = combineRounds(
        { ...TARGETS.gateway, label: `gateway @${options.saturationConnections} conns` },
        batchPool,
        [round],
        stats.available,
        emulator.maxMessageSize,
      );
      log(`  saturation: ${report.formatTable([saturation], 'batch').split('\n')[1]?.trim() ?? ''}`);
    }
  } finally {
    for (const target of running.values()) await target.stop();
  }
  try {
    if (options.bodies.includes('batch')) {
      const readingsFile = join(options.resultsDir, 'readings.ndjson');
      writeFileSync(readingsFile, `${bodyPool('single').bodies.join('\n')}\n`);
      sdkFloor = await runSdkFloor(
        {
          connectionString: emulator.connectionString,
          readingsFile,
          durationS: Math.min(5, options.durationS),
        },
        cores.target,
      );
    }
    const singlePeak = figures.find((f) => f.target === 'gateway' && f.body === 'single');
    const pool = pools.get('single');
    if (options.soakS > 0 && (!singlePeak || !pool))
      log('soak skipped: needs the gateway measured with single readings');
    else if (options.soakS > 0 && singlePeak && pool) {
      const ratePerS = singlePeak.reqPerS * options.pacedFraction;
      log(`soak: ${options.soakS} s at ${Math.round(ratePerS)} req/s ...`);
      soak = await runSoak({
        options,
        emulator,
        stats,
        pool,
        ratePerS,
        cpus: cores,
        logFile: join(logDir, 'gateway-soak.log'),
      });
    }
  } finally {
    await emulator.stop();
  }

  const profile = options.profile
    ? profileSummary(join(options.resultsDir, 'profiles'), startedAt)
    : undefined;
  const checks = report.evaluateChecks(figures, paced, soak, lingerMs, saturation, {
    connections: options.connections,
    saturationConnections: options.saturationConnections,
    partitions: DEFAULT_PARTITION_COUNT,
    maxMessageSize,
  });
  const warnings = report.noiseWarnings(figures, paced);
  log('');
  log(`${report.LEGEND}\n`);
  for (const [kind, pool] of pools) {
    log(
      `${kind === 'single' ? 'single reading' : `${pool.eventsPerRequest}-reading batch`} POST, ${Math.round(pool.meanBytes)} B:`,
    );
    log(report.formatTable(figures, kind));
    log(report.formatRatios(report.gatewayRatios(figures, kind)));
    log(report.formatRatios(report.gatewayEfficiency(figures, kind), 'events per CPU-second'));
    const before = figures.find((f) => f.target === 'previous' && f.body === kind);
    if (before) {
      log(report.formatRatios(report.gatewayRatios(figures, kind, 'previous'), 'events/s', before.label));
      log(
        report.formatRatios(
          report.gatewayEfficiency(figures, kind, 'previous'),
          'events per CPU-second',
          before.label,
        ),
      );
      const pairs = paired.get(kind);
      if (pairs) log(formatPaired(pairs, before.label));
    }
    for (const p of paced.filter((x) => x.body === kind)) log(report.formatPaced(p, lingerMs));
    if (kind === 'batch' && sdkFloor) log(report.formatSdkFloor(sdkFloor, figures));
    log('');
  }
  if (saturation) {
    log(`saturation (gateway only, batch bodies, ${options.saturationConnections} connections):`);
    log(`${report.formatTable([saturation], 'batch')}\n`);
  }
  if (soak) log(`${report.formatSoak(soak)}\n`);
  if (profile) log(`${profile.text}\n`);
  log(`checks (issue 6):\n${report.formatChecks(checks)}\n`);
  for (const warning of warnings) log(`warning: ${warning}`);
  const jsonFile = join(options.resultsDir, 'latest.json');
  writeFileSync(
    jsonFile,
    `${JSON.stringify(
      {
        startedAt: new Date(startedAt).toISOString(),
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
        machine,
        options,
        loadGenerator: peak.description,
        pinning: cores.note,
        lingerMs,
        bodies: Object.fromEntries(
          [...pools].map(([kind, pool]) => [
            kind,
            { meanBytes: pool.meanBytes, eventsPerRequest: pool.eventsPerRequest },
          ]),
        ),
        figures,
        ratios: Object.fromEntries(options.bodies.map((kind) => [kind, report.gatewayRatios(figures, kind)])),
        previous:
          previous === undefined
            ? undefined
            : {
                against: options.against,
                label: previous.label,
                ratios: Object.fromEntries(
                  options.bodies.map((kind) => [kind, report.gatewayRatios(figures, kind, 'previous')]),
                ),
                efficiency: Object.fromEntries(
                  options.bodies.map((kind) => [kind, report.gatewayEfficiency(figures, kind, 'previous')]),
                ),
                perRound: Object.fromEntries(paired),
              },
        efficiency: Object.fromEntries(
          options.bodies.map((kind) => [kind, report.gatewayEfficiency(figures, kind)]),
        ),
        warnings,
        paced,
        saturation,
        soak,
        sdkFloor,
        checks,
        profile: profile?.summary,
      },
      null,
      2,
    )}\n`,
  );
  log(`results: ${jsonFile}`);
  for (const [kind, pool] of pools) log(report.summaryLine(figures, paced, kind, pool.meanBytes));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof UsageError ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exit(error instanceof UsageError ? 2 : 1);
});
