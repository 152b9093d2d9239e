/**
 * A real `redis-server` (Debian's package) for tests, on a free loopback port, with nothing
 * persisted. `stop()` and `start()` again on the same port let a test take Redis away mid-run and
 * bring it back, as an outage would; `pause()` and `resume()` (SIGSTOP/SIGCONT) make it hang: the
 * kernel still accepts connections, nothing answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (SIGKILL: an outage, not a graceful shutdown); resolves once it exited. */
  stop(): Promise<void>;
  /** Freezes the running server (it keeps its connections and answers nothing). */
  pause(): void;
  resume(): void;
}

export interface TestRedisOptions {
  /** The port to use; default a free one. */
  readonly port?: number;
  /** Start it now (default); `false` gives an address where nothing listens until `start()`. */
  readonly start?: boolean;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = (): Promise<void> =>
    new Promise((ready, fail) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let out = '';
      proc.on('error', (error) =>
        fail(new Error(`redis-server could not start (apt-get install redis-server): ${error.message}`)),
      );
      proc.on('exit', (code) => fail(new Error(`redis-server exited (${code}):\n${out}`)));
      proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) ready();
      });
    });
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    proc.kill('SIGKILL');
    await exited;
  };
  const signal = (name: NodeJS.Signals): void => {
    if (child === undefined) throw new Error('redis-server is not running');
    child.kill(name);
  };
  if (options.start ?? true) await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
