/**
 * Target 4, the gateway itself, as production runs it: `node dist/src/main.js` (compiled by
 * `npm run build`, no tsx loader) in its own process, pointed at the emulator process, with an
 * API key from a key file, rate limiting on (with a budget the bench cannot reach), logging at
 * info as JSON to a file, metrics on and durable acknowledgement (no `Prefer: respond-async`).
 * Ready means a real reading was acknowledged, so the producer link is up before load starts.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startChild, tsxNode } from '../child';
import { bodyPool, INGEST_PATH } from '../bodies';
import type { PreviousBuild } from '../previous-build';
import type { RunningTarget, TargetContext, TargetDefinition } from './target';

export const GATEWAY_ENTRY = 'dist/src/main.js';

/**
 * The node flags of `npm start` (package.json), so the bench runs the gateway exactly as
 * production starts it: `node <flags> dist/src/main.js`.
 */
export function productionNodeFlags(root = join(__dirname, '..', '..')): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (pkg.scripts.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words[words.length - 1] !== GATEWAY_ENTRY)
    throw new Error(
      `package.json "start" must be "node [flags] ${GATEWAY_ENTRY}", got "${pkg.scripts.start}"`,
    );
  return words.slice(1, -1);
}

export function buildGateway(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}

/** Creates a fresh key file with one key bound to the bench's sensors; returns the key. */
function createApiKey(resultsDir: string, name: string): { file: string; key: string } {
  // One file per gateway: each re-reads its key file when it changes.
  const file = join(resultsDir, `bench-api-keys-${name}.json`);
  rmSync(file, { force: true });
  const { command, args } = tsxNode('src/tools/keys.ts');
  const output = execFileSync(
    command,
    [
      ...args,
      'create',
      '--id',
      'bench',
      '--scopes',
      'events:write',
      '--types',
      'telemetry',
      '--sensors',
      'eu-west/plant-berlin-007/*',
      '--file',
      file,
    ],
    { encoding: 'utf8' },
  );
  const key = output.trim().split('\n').pop()?.trim();
  if (key === undefined || key === '') throw new Error(`keys tool printed no key:\n${output}`);
  return { file, key };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Posts one real reading until it is acknowledged; the error names the last answer. */
async function waitUntilAcknowledging(
  url: string,
  headers: Record<string, string>,
  exited: Promise<unknown>,
) {
  const body = bodyPool('single').bodies[0] ?? '{}';
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`gateway did not acknowledge a reading${gone ? ' (it exited)' : ' within 60 s'}: ${last}`);
}

/** Where a gateway build lives: this checkout's `dist/`, or an exported earlier revision. */
interface GatewayBuild {
  readonly name: 'gateway' | 'previous';
  readonly label: string;
  /** Directory the gateway runs in, with its package.json and `dist/`. */
  readonly root: string;
  /** Whether `--profile` applies (only to this checkout's build, so the summary is of one process). */
  readonly profiled: boolean;
}

function gatewayTargetFor(build: GatewayBuild): TargetDefinition {
  return {
    name: build.name,
    label: build.label,
    sends: true,
    async start(context: TargetContext): Promise<RunningTarget> {
      const { file, key } = createApiKey(resolve(context.resultsDir), build.name);
      const port = await freePort();
      const profileDir = resolve(context.resultsDir, 'profiles');
      const nodeArgs = [
        ...productionNodeFlags(build.root),
        ...(context.options.profile && build.profiled ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      ];
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(port),
        EVENTHUB_CONNECTION_STRING: context.emulator.connectionString,
        EVENTHUB_NAME: 'telemetry',
        API_KEYS_FILE: file,
        RATE_LIMIT_EVENTS_PER_MINUTE: String(1_000_000_000),
      };
      if (context.options.workers !== undefined) env.WORKERS = context.options.workers;
      const child = startChild({
        name: build.name,
        command: process.execPath,
        args: [...nodeArgs, GATEWAY_ENTRY],
        cwd: build.root,
        cpus: context.cpus,
        logFile: context.logFile,
        env,
      });
      const url = `http://127.0.0.1:${port}${INGEST_PATH}`;
      const headers = { authorization: `Bearer ${key}` };
      try {
        await waitUntilAcknowledging(url, headers, child.exited);
      } catch (error) {
        await child.stop(2000);
        throw error;
      }
      return {
        url,
        headers,
        pid: child.pid,
        async stop() {
          await child.stop(30_000);
        },
      };
    },
  };
}

export const gatewayTarget: TargetDefinition = gatewayTargetFor({
  name: 'gateway',
  label: 'gateway (durable)',
  root: resolve(__dirname, '..', '..'),
  profiled: true,
});

/** The same gateway, built from an earlier revision (`--against`), for before/after in one run. */
export function previousGatewayTarget(build: PreviousBuild): TargetDefinition {
  return gatewayTargetFor({
    name: 'previous',
    label: `gateway @${build.commit.slice(0, 7)}`,
    root: build.dir,
    profiled: false,
  });
}
