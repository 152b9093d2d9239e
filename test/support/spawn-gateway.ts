/**
 * Runs `src/main.ts` as its own process (through tsx, no build step), the way `npm start` runs
 * the gateway: for tests of start-up failures, signals and shutdown. Output is collected; the
 * URL is read from the "gateway listening" log line (PORT=0 picks a free port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './harness';

export interface SpawnedGateway {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Resolves with the URL once the gateway logged that it listens; rejects if it exits first. */
  readonly listening: Promise<string>;
}

export interface SpawnOptions {
  /** Its own process group (as a terminal's foreground job): `process.kill(-pid, 'SIGINT')` is Ctrl-C. */
  readonly detached?: boolean;
  /** Working directory (default the repository), e.g. one holding a `.env`. */
  readonly cwd?: string;
  /** Node flags before the entry point, e.g. `npm start`'s GC flags (startFlags()). */
  readonly nodeFlags?: readonly string[];
}

/** tsx by absolute URL, so the gateway can run from any working directory (`.env` tests). */
const TSX = pathToFileURL(require.resolve('tsx')).href;

export function spawnGateway(
  env: Readonly<Record<string, string>>,
  options: SpawnOptions = {},
): SpawnedGateway {
  const args = [...(options.nodeFlags ?? []), '--import', TSX, resolve(REPO_ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    // Only what the test gives, plus PATH: the runner's own environment must not leak in.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  let err = '';
  let onUrl: ((url: string) => void) | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"gateway listening"/.exec(out);
    if (match?.[1] !== undefined) onUrl?.(match[1]);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((done) =>
    child.on('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const listening = new Promise<string>((done, fail) => {
    onUrl = done;
    void exited.then((code) => fail(new Error(`gateway exited (${code}) before listening:\n${err}\n${out}`)));
  });
  listening.catch(() => undefined); // a test that only awaits `exited` must not see an unhandled rejection
  return { child, stdout: () => out, stderr: () => err, exited, listening };
}

/** The Node flags `npm start` runs the gateway with (package.json), so a test measures the same GC. */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * Sends SIGTERM and times the exit: its code (or `'still running'` after `giveUpMs`, so a process
 * that never exits fails the test's assertion instead of hanging it) and the milliseconds it took.
 */
export async function stopWithSigterm(
  gateway: SpawnedGateway,
  label: string,
  giveUpMs = 10_000,
): Promise<{ code: number | string; ms: number }> {
  const at = performance.now();
  gateway.child.kill('SIGTERM');
  let giveUp: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    gateway.exited,
    new Promise<string>((r) => (giveUp = setTimeout(() => r('still running'), giveUpMs))),
  ]);
  clearTimeout(giveUp);
  const ms = Math.round(performance.now() - at);
  process.stdout.write(`${label}: exit ${code} ${ms} ms after SIGTERM\n`);
  return { code, ms };
}
