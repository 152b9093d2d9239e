/**
 * The HTTP edge on raw TCP sockets, through the real gateway and the emulator: `Expect` decided
 * before the body, whole-body writers that see their 413, requests in flight answered whatever
 * follows them on the connection (pipelined garbage, a second request after `Connection: close`,
 * a half-close), and Host checked as RFC 9112 asks. Every refusal is problem+json with a request id.
 */
import { connect, type Socket } from 'node:net';
import { DEV_API_KEY } from '../../src/auth/dev-key';
import { storedEventsOf } from '../support/expectations';
import { startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

const MAX_BODY_BYTES = 65_536;
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterAll(() => t?.close());

/** One HTTP response parsed out of raw bytes. */
interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Splits raw bytes into the responses they hold (Content-Length framed, as the gateway answers). */
function responsesIn(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const at = line.indexOf(':');
      headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

interface Connection {
  readonly socket: Socket;
  received(): string;
  readonly errors: Error[];
  /** Resolves once the server closed its side of the connection (FIN), or after `ms`. */
  closed(ms?: number): Promise<void>;
  /** Resolves once `text` appears in what was received. */
  waitFor(text: string, ms?: number): Promise<void>;
}

async function open(): Promise<Connection> {
  const { hostname, port } = new URL(t.gateway.url);
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
  await new Promise((done) => socket.once('connect', done));
  let raw = '';
  const errors: Error[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString('latin1');
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('error', (error) => errors.push(error));
  const closedPromise = new Promise<void>((done) => {
    socket.once('end', () => done());
    socket.once('close', () => done());
  });
  return {
    socket,
    errors,
    received: () => raw,
    closed: (ms = 10_000) =>
      Promise.race([closedPromise, new Promise<void>((done) => setTimeout(done, ms).unref())]),
    async waitFor(text, ms = 10_000) {
      const until = Date.now() + ms;
      while (!raw.includes(text)) {
        if (Date.now() > until) throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(raw)}`);
        await new Promise<void>((done) => {
          waiters.push(done);
          setTimeout(done, 50).unref();
        });
      }
    },
  };
}

const head = (lines: readonly string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const post = (body: string, extra: readonly string[] = [], auth = true): string =>
  head([
    'POST /v1/events/telemetry HTTP/1.1',
    'Host: gateway.test',
    ...(auth ? [`Authorization: Bearer ${DEV_API_KEY}`] : []),
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra,
  ]) + body;

function expectProblem(response: RawResponse | undefined, status: number, code: string): void {
  expect(response?.status).toBe(status);
  expect(response?.headers['content-type']).toBe('application/problem+json');
  const requestId = response?.headers['x-request-id'];
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(response?.body ?? '{}')).toMatchObject({ status, code, requestId });
}

describe('Expect', () => {
  it('when Expect: 100-continue comes without a key, then 401 and no 100 Continue', async () => {
    const c = await open();
    c.socket.write(
      head([
        'POST /v1/events/telemetry HTTP/1.1',
        'Host: gateway.test',
        'Content-Type: application/json',
        `Content-Length: ${2 * 1024 * 1024}`,
        'Expect: 100-continue',
      ]),
    );
    await c.closed();
    expect(c.received()).not.toContain('100 Continue');
    const [answer, ...more] = responsesIn(c.received());
    expectProblem(answer, 401, 'GW_ERR_UNAUTHENTICATED');
    expect(answer?.headers.connection).toBe('close');
    expect(more).toEqual([]);
  });

  it('when Expect: 100-continue declares a body over the limit or an unknown type, then the final answer and no 100 Continue', async () => {
    for (const [path, length, status, code] of [
      ['/v1/events/telemetry', MAX_BODY_BYTES + 1, 413, 'GW_ERR_BODY_TOO_LARGE'],
      ['/v1/events/nope', 100, 404, 'GW_ERR_UNKNOWN_TYPE'],
    ] as const) {
      const c = await open();
      c.socket.write(
        head([
          `POST ${path} HTTP/1.1`,
          'Host: gateway.test',
          `Authorization: Bearer ${DEV_API_KEY}`,
          'Content-Type: application/json',
          `Content-Length: ${length}`,
          'Expect: 100-continue',
        ]),
      );
      await c.waitFor('\r\n\r\n{');
      expect(c.received()).not.toContain('100 Continue');
      expectProblem(responsesIn(c.received())[0], status, code);
      c.socket.destroy();
    }
  });

  it('when Expect: 100-continue comes with a good request, then 100 Continue, the body, and 200', async () => {
    const sensor = uniqueSensorId('expect');
    const body = JSON.stringify(reading(sensor));
    const c = await open();
    c.socket.write(post(body, ['Expect: 100-continue']).slice(0, -body.length));
    await c.waitFor('HTTP/1.1 100 Continue\r\n\r\n');
    c.socket.write(body);
    await c.waitFor('"count":1');
    const answer = responsesIn(c.received().replace('HTTP/1.1 100 Continue\r\n\r\n', ''))[0];
    expect(answer?.status).toBe(200);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(1);
    c.socket.destroy();
  });

  it('when another expectation is sent, then 417 problem+json with a request id', async () => {
    const c = await open();
    c.socket.write(post('{}', ['Expect: foo']));
    await c.closed();
    expectProblem(responsesIn(c.received())[0], 417, 'GW_ERR_EXPECTATION_FAILED');
  });
});

describe('a client that writes its whole body before reading', () => {
  it('when the body is over the limit, then it reads the 413, not a reset', async () => {
    const c = await open();
    const body = `[${JSON.stringify(reading('big'))}${' '.repeat(6 * 1024 * 1024)}]`;
    // The whole request in one write, and nothing read until it has been taken by the kernel.
    c.socket.pause();
    await new Promise<void>((done, fail) => c.socket.write(post(body), (e) => (e ? fail(e) : done())));
    c.socket.resume();
    await c.closed();
    expect(c.errors).toEqual([]);
    expectProblem(responsesIn(c.received())[0], 413, 'GW_ERR_BODY_TOO_LARGE');
  });

  it('when Node fetch posts an over-limit body, then it gets the 413', async () => {
    const res = await fetch(`${t.gateway.url}/v1/events/telemetry`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${DEV_API_KEY}`, 'Content-Type': 'application/json' },
      body: `[${' '.repeat(6 * 1024 * 1024)}]`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'GW_ERR_BODY_TOO_LARGE' });
  });
});

describe('a request in flight', () => {
  it('when garbage follows a valid write in the same segment, then the write gets its 200, then 400, then close', async () => {
    const sensor = uniqueSensorId('pipelined');
    const c = await open();
    c.socket.write(post(JSON.stringify(reading(sensor))) + 'GARBAGE NOT HTTP\r\n\r\n');
    await c.closed();
    const [first, second, ...more] = responsesIn(c.received());
    expect(first?.status).toBe(200);
    expect(JSON.parse(first?.body ?? '{}')).toMatchObject({ count: 1 });
    expectProblem(second, 400, 'GW_ERR_BAD_REQUEST');
    expect(more).toEqual([]);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(1);
  });

  it('when a second request follows one with Connection: close, then the first gets its 200 and the connection closes', async () => {
    const sensor = uniqueSensorId('after-close');
    const c = await open();
    c.socket.write(
      post(JSON.stringify(reading(sensor)), ['Connection: close']) + post(JSON.stringify(reading(sensor))),
    );
    await c.closed();
    const [first, ...more] = responsesIn(c.received());
    expect(first?.status).toBe(200);
    expect(more).toEqual([]);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(1);
  });

  it('when the client half-closes (FIN) after its request, then it still gets its 200', async () => {
    // The hub answers after the FIN, so the answer is still pending when it arrives.
    t.emulator.faults.delayDispositions(300);
    const sensor = uniqueSensorId('half-close');
    const c = await open();
    c.socket.end(post(JSON.stringify(reading(sensor))));
    await c.closed();
    // The gateway checks that the client still listens with interim 100s, then answers.
    const responses = responsesIn(c.received());
    const interim = responses.filter((r) => r.status === 100);
    const [first, ...more] = responses.filter((r) => r.status !== 100);
    expect(interim.length).toBeGreaterThanOrEqual(1);
    expect(responses.slice(0, interim.length)).toEqual(interim);
    expect(first?.status).toBe(200);
    expect(JSON.parse(first?.body ?? '{}')).toMatchObject({ count: 1 });
    expect(more).toEqual([]);
    expect(storedEventsOf(t.emulator, sensor)).toHaveLength(1);
    t.emulator.faults.delayDispositions(0);
  });
});

describe('Host', () => {
  it('when Host is duplicated, invalid or missing, then 400 problem+json', async () => {
    const body = JSON.stringify(reading(uniqueSensorId('host')));
    const without = (text: string) => text.replace('Host: gateway.test\r\n', '');
    for (const request of [
      post(body).replace('Host: gateway.test', 'Host: gateway.test\r\nHost: other.test'),
      post(body).replace('Host: gateway.test', 'Host: bad host/path'),
      without(post(body)),
    ]) {
      const c = await open();
      c.socket.write(request);
      await c.closed();
      const answer = responsesIn(c.received())[0];
      expectProblem(answer, 400, 'GW_ERR_BAD_REQUEST');
      expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({
        detail: expect.stringMatching(/Host/) as unknown,
      });
    }
  });
});
