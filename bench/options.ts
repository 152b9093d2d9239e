/**
 * Command line and environment → the frozen options of one `npm run bench` invocation.
 * Pure: takes argv and env, returns options or throws naming every bad flag at once, so a typo
 * fails in the first second instead of after twenty minutes of measuring the wrong thing.
 */

export const TARGET_NAMES = ['ceiling', 'typical', 'naive', 'gateway'] as const;
export type SelectableTarget = (typeof TARGET_NAMES)[number];
/** `previous` is the gateway built from the `--against` revision; it runs only when asked for. */
export type TargetName = SelectableTarget | 'previous';
export const BODY_KINDS = ['single', 'batch'] as const;
export type BodyKind = (typeof BODY_KINDS)[number];
export type LoadGeneratorChoice = 'auto' | 'wrk' | 'autocannon';

export interface BenchOptions {
  readonly warmupS: number;
  readonly durationS: number;
  /** Length of the paced run at a fraction of the gateway's peak. */
  readonly pacedS: number;
  readonly pacedFraction: number;
  readonly connections: number;
  /** Connections of the gateway-only saturation run with batch bodies (batch fill); 0 = skip. */
  readonly saturationConnections: number;
  /** Measurement time per target is split into this many rounds, interleaved across targets. */
  readonly rounds: number;
  readonly targets: readonly SelectableTarget[];
  /** Git revision whose gateway build runs as one more target, interleaved with this one's. */
  readonly against: string | undefined;
  readonly bodies: readonly BodyKind[];
  readonly loadGenerator: LoadGeneratorChoice;
  /** Pin the load generator and the emulator to the last core, the targets to the others. */
  readonly pin: boolean;
  /** Seconds of the RSS soak at `pacedFraction` of the gateway's single-reading peak; 0 = none. */
  readonly soakS: number;
  readonly profile: boolean;
  readonly build: boolean;
  /** Passed to the gateway as WORKERS when set. */
  readonly workers: string | undefined;
  readonly quick: boolean;
  readonly resultsDir: string;
}

const QUICK = { warmupS: 1, durationS: 3, pacedS: 3 };

function positive(name: string, raw: string, errors: string[]): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) errors.push(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[], errors: string[]): T[] {
  const items = raw.split(',').filter((item) => item !== '');
  const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (bad.length > 0 || items.length === 0) {
    errors.push(`${name} takes a comma list of ${allowed.join('|')}, got "${raw}"`);
  }
  return items as T[];
}

/** Parses `--name value`, `--name=value` and bare `--flag`s; env BENCH_* gives the defaults. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  const errors: string[] = [];
  const valued = new Set([
    'warmup',
    'duration',
    'paced',
    'paced-fraction',
    'connections',
    'saturation-connections',
    'rounds',
    'targets',
    'bodies',
    'loadgen',
    'workers',
    'results-dir',
    'against',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) {
      errors.push(`unexpected argument "${arg}"`);
      continue;
    }
    const name = match[1];
    let value = match[2];
    if (value === undefined && valued.has(name)) {
      value = argv[i + 1];
      i++;
      if (value === undefined) errors.push(`--${name} needs a value`);
    }
    flags.set(name, value ?? 'true');
  }
  const known = new Set([...valued, 'quick', 'soak', 'profile', 'no-build', 'no-pin', 'help']);
  for (const name of flags.keys()) if (!known.has(name)) errors.push(`unknown flag --${name}`);

  const quick = flags.has('quick');
  const pick = (flag: string, envName: string, fallback: number): number => {
    const raw = flags.get(flag) ?? env[envName];
    return raw === undefined ? fallback : positive(`--${flag} / ${envName}`, raw, errors);
  };
  const soakRaw = flags.get('soak');
  const soakS = soakRaw === undefined ? 0 : soakRaw === 'true' ? 300 : positive('--soak', soakRaw, errors);
  const loadGenerator = (flags.get('loadgen') ?? env.BENCH_LOADGEN ?? 'auto') as LoadGeneratorChoice;
  if (!['auto', 'wrk', 'autocannon'].includes(loadGenerator)) {
    errors.push(`--loadgen takes auto|wrk|autocannon, got "${String(loadGenerator)}"`);
  }
  const options: BenchOptions = {
    warmupS: pick('warmup', 'BENCH_WARMUP_S', quick ? QUICK.warmupS : 5),
    durationS: pick('duration', 'BENCH_DURATION_S', quick ? QUICK.durationS : 15),
    pacedS: pick('paced', 'BENCH_PACED_S', quick ? QUICK.pacedS : 15),
    pacedFraction: pick('paced-fraction', 'BENCH_PACED_FRACTION', 0.5),
    connections: pick('connections', 'BENCH_CONNECTIONS', 64),
    saturationConnections: Math.round(
      flags.get('saturation-connections') === '0'
        ? 0
        : pick('saturation-connections', 'BENCH_SATURATION_CONNECTIONS', 256),
    ),
    rounds: Math.round(pick('rounds', 'BENCH_ROUNDS', quick ? 1 : 3)),
    targets: list(
      '--targets',
      flags.get('targets') ?? env.BENCH_TARGETS ?? TARGET_NAMES.join(','),
      TARGET_NAMES,
      errors,
    ),
    bodies: list(
      '--bodies',
      flags.get('bodies') ?? env.BENCH_BODIES ?? BODY_KINDS.join(','),
      BODY_KINDS,
      errors,
    ),
    against: flags.get('against') ?? env.BENCH_AGAINST,
    loadGenerator,
    pin: !flags.has('no-pin') && env.BENCH_PIN !== '0',
    soakS,
    profile: flags.has('profile'),
    build: !flags.has('no-build'),
    workers: flags.get('workers') ?? env.WORKERS,
    quick,
    resultsDir: flags.get('results-dir') ?? env.BENCH_RESULTS_DIR ?? 'bench/results',
  };
  if (flags.has('help')) throw new UsageError(USAGE);
  if (errors.length > 0) throw new UsageError(`${errors.join('\n')}\n\n${USAGE}`);
  return Object.freeze(options);
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench -- [flags]
  --quick                 smoke run: 1 s warm-up, 3 s per measurement, 3 s paced
  --warmup S --duration S seconds of warm-up and of measurement per target and body (5, 15)
  --saturation-connections N   gateway-only batch run at N connections for the batch fill (256; 0 = skip)
  --rounds N              split each measurement into N rounds interleaved across targets (3)
  --paced S               seconds of the paced run at --paced-fraction of the gateway's peak (15, 0.5)
  --connections N         concurrent connections of the load generator (64)
  --targets a,b           any of ${TARGET_NAMES.join(',')} (all)
  --bodies a,b            any of ${BODY_KINDS.join(',')} (both)
  --loadgen wrk|autocannon|auto   auto = wrk when installed, else autocannon
  --workers N|auto        passed to the gateway as WORKERS
  --against REV           also run the gateway built from git revision REV, interleaved: before/after in one run
  --soak[=S]              afterwards, S seconds (300) at the paced rate sampling the gateway's RSS
  --profile               run the gateway with --cpu-prof and print its top 15 self-time functions
  --no-build              skip "npm run build" before starting the gateway
  --no-pin                do not pin processes to cores with taskset
env: BENCH_WARMUP_S, BENCH_DURATION_S, BENCH_PACED_S, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_TARGETS,
     BENCH_BODIES, BENCH_LOADGEN, BENCH_AGAINST, BENCH_PIN=0, BENCH_RESULTS_DIR, WORKERS`;
