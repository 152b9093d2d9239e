/**
 * Starting and stopping the bench's child processes: every target, the emulator and the load
 * generators run in their own process, optionally pinned to cores with `taskset` (which execs, so
 * the pid we hold is the measured process itself). Output goes to a log file, never to our stdout,
 * so a target's logging costs what it would cost in production and the report stays readable.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { once } from 'node:events';

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory; the bench's own when undefined. */
  readonly cwd?: string;
  /** Cores for `taskset -c`, e.g. "0" or "0-2"; undefined = not pinned. */
  readonly cpus?: string | undefined;
  /** File that receives stdout and stderr; undefined = both captured in memory. */
  readonly logFile?: string | undefined;
  readonly ipc?: boolean;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Captured stdout when no log file was given. */
  stdout(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | string>;
}

let tasksetChecked: boolean | undefined;

/** Whether `taskset` can pin here (present and allowed); checked once. */
export async function canPin(): Promise<boolean> {
  if (tasksetChecked !== undefined) return tasksetChecked;
  const probe = spawn('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  const [code] = (await Promise.race([once(probe, 'exit'), once(probe, 'error').then(() => [1])])) as [
    number | null,
  ];
  tasksetChecked = code === 0;
  return tasksetChecked;
}

export function startChild(spec: ChildSpec): Child {
  const command = spec.cpus === undefined ? spec.command : 'taskset';
  const args = spec.cpus === undefined ? [...spec.args] : ['-c', spec.cpus, spec.command, ...spec.args];
  // Truncated per run: a log belongs to the run whose figures it explains.
  const fd = spec.logFile === undefined ? undefined : openSync(spec.logFile, 'w');
  const output: StdioOptions = fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd];
  const stdio: StdioOptions = spec.ipc === true ? [...output, 'ipc'] : output;
  const child = spawn(command, args, { stdio, env: spec.env ?? process.env, cwd: spec.cwd });
  if (fd !== undefined) closeSync(fd);
  let captured = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (captured += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (captured += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  if (child.pid === undefined) throw new Error(`could not start ${spec.name}: ${command}`);
  const pid = child.pid;
  return {
    name: spec.name,
    process: child,
    pid,
    stdout: () => captured,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Waits for the first IPC message `predicate` accepts, failing if the child exits or time runs out. */
export async function nextMessage<T>(
  child: Child,
  predicate: (message: unknown) => message is T,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!predicate(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`${child.name} exited before it was ready (see its log)`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${child.name} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      child.process.off('exit', onExit);
    };
    child.process.on('message', onMessage);
    child.process.once('exit', onExit);
  });
}

/** The node binary plus tsx's loader, in one process (the `tsx` CLI would add a parent process). */
export function tsxNode(
  script: string,
  nodeArgs: readonly string[] = [],
): { command: string; args: string[] } {
  return { command: process.execPath, args: [...nodeArgs, '--import', 'tsx', script] };
}
