/**
 * The tools a curl user runs beside the gateway, as processes: `npm run emulator` serves AMQP and
 * the REST send API with the hubs EMULATOR_HUBS names and prints what a gateway needs; a gateway
 * pointed at it hands out publisher tokens with a working `restUrl`; `npm run consume -- --hub`
 * tails another hub (the dead-letter one); with nothing listening, consume fails within seconds
 * naming the address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DEV_AUTH, REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

interface Running {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
  /** Resolves once `pattern` matches stdout + stderr. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

function run(script: string, args: readonly string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const poke = (): void => waiters.forEach((w) => w());
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), poke()));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), poke()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((done, fail) => {
        const check = (): void => {
          const match = pattern.exec(stdout + stderr);
          if (match !== null) {
            clearTimeout(timer);
            done(match);
          }
        };
        const timer = setTimeout(
          () => fail(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        waiters.push(check);
        check();
        void exited.then(() => setTimeout(check, 10));
      });
    },
  };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined || running.child.exitCode !== null) return;
  running.child.kill('SIGTERM');
  await running.exited;
}

/** A loopback port with nothing listening (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe('npm run emulator and npm run consume', () => {
  let emulator: Running | undefined;
  let consumer: Running | undefined;
  let t: TestGateway | undefined;
  afterEach(async () => {
    await stop(consumer);
    await t?.close();
    await stop(emulator);
  });

  it('when nothing listens, then consume fails within seconds naming the address', async () => {
    const port = await closedPort();
    const started = Date.now();
    consumer = run('src/tools/consume.ts', [], { EMULATOR_PORT: String(port) });
    expect(await consumer.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(consumer.output().stderr).toContain(`127.0.0.1:${port}`);
    expect(consumer.output().stderr).toMatch(/cannot read hub "telemetry"/);
  }, 30_000);

  it('when the emulator runs alone, then a gateway pointed at it gets a REST URL and consume tails its dead-letter hub', async () => {
    emulator = run('emulator/cli.ts', [], {
      EMULATOR_PORT: '0',
      EMULATOR_REST_PORT: '0',
      EMULATOR_HUBS: 'telemetry:2,dead-letter:1',
    });
    const [, connectionString] = await emulator.waitFor(/^(Endpoint=sb:\/\/\S+)$/m, 20_000);
    const [, restUrl] = await emulator.waitFor(/EVENTHUB_REST_URL=(http:\/\/\S+)/, 5_000);
    expect(emulator.output().stderr).toContain('telemetry (2 partitions), dead-letter (1 partitions)');
    expect(emulator.output().stderr).toContain('DEAD_LETTER_EVENTHUB_NAME=dead-letter');

    t = await startTestGateway({
      env: {
        EVENTHUB_CONNECTION_STRING: connectionString!,
        EVENTHUB_REST_URL: restUrl!,
        DEAD_LETTER_EVENTHUB_NAME: 'dead-letter',
      },
    });
    // Publisher tokens name the emulator's REST API, and it takes a reading sent with one.
    const token = await t.request.post('/v1/tokens').set(DEV_AUTH).send({ publisher: 'sensor-rest' });
    expect(token.status).toBe(200);
    const { restUrl: sendUrl, token: sas } = token.body as { restUrl: string; token: string };
    expect(sendUrl.startsWith(restUrl!)).toBe(true);
    const sent = await fetch(sendUrl, {
      method: 'POST',
      headers: { Authorization: sas, 'Content-Type': 'application/atom+xml;type=entry;charset=utf-8' },
      body: JSON.stringify(reading('sensor-rest')),
    });
    expect(sent.status).toBe(201);

    const sensor = uniqueSensorId('tools');
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Prefer', 'handling=lenient')
      .send([reading(sensor), { ...reading(sensor), temperature: 'warm' }]);
    expect(res.status).toBe(207);

    consumer = run('src/tools/consume.ts', ['--hub', 'dead-letter', '--from-start'], {
      EVENTHUB_CONNECTION_STRING: connectionString!,
    });
    await consumer.waitFor(/tailing hub "dead-letter"/, 20_000);
    const [line] = await consumer.waitFor(/properties \{[^\n]*"reason":"GW_ERR_VALIDATION"[^\n]*\n/, 20_000);
    expect(line).toContain(`"partitionKey":"${sensor}"`);
    expect(consumer.output().stdout).toContain('"temperature":"warm"');
  }, 90_000);
});
