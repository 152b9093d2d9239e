/**
 * A body being read holds MAX_BUFFERED_BYTES for what it has sent, not for what its Content-Length
 * promises: clients that announce gzip bodies and then send nothing (a stalled upload, or one
 * that waits on `100 Continue` and never follows) must not keep every other device out until the
 * request timeout. The cap here fits two such promises (2 × 1 MiB, the most 8 KB of gzip may
 * inflate to); with both stalled, another device's reading still gets its 200.
 */
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { asIs } from '../support/expectations';
import { DEV_AUTH, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

const MiB = 1024 * 1024;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { MAX_BUFFERED_BYTES: String(2 * MiB) } });
});
afterAll(() => t.close());

/** Sends a gzip request's head with `Expect: 100-continue`; resolves once the gateway said 100. */
function stalledUpload(url: string, contentLength: number): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        'POST /v1/events/telemetry HTTP/1.1\r\n' +
          `Host: ${hostname}:${port}\r\n` +
          `${Object.entries(DEV_AUTH)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('')}` +
          'Content-Type: application/json\r\nContent-Encoding: gzip\r\n' +
          `Content-Length: ${contentLength}\r\nExpect: 100-continue\r\n\r\n`,
      );
    });
    let heard = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      heard += text;
      if (heard.startsWith('HTTP/1.1 100 Continue')) resolve(socket);
      else if (heard.includes('\r\n\r\n')) reject(new Error(`expected 100 Continue, got ${heard}`));
    });
    socket.on('error', reject);
  });
}

it('when uploads that announced gzip bodies stall, then they hold nothing and another device is served', async () => {
  const stalled = await Promise.all([stalledUpload(t.gateway.url, 8000), stalledUpload(t.gateway.url, 8000)]);
  try {
    const sensor = uniqueSensorId('stalled');
    const res = await t.request
      .post('/v1/events/telemetry')
      .set(DEV_AUTH)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(asIs)
      .send(gzipSync(JSON.stringify(reading(sensor))));
    expect(res.status).toBe(200);
  } finally {
    for (const socket of stalled) socket.destroy();
  }
});
