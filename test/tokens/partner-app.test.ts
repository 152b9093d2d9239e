/** The partner-app example against a token route and the emulator: it sends, and it refreshes. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type Emulator } from '../../emulator';
import { createRefreshingProducer, createTokenSource, sendViaRest } from '../../examples/partner-app';
import { KEYS } from '../auth/keys';
import { tokenExpressApp } from './token-bed';

let emulator: Emulator;
let server: Server;
let gatewayUrl: string;
let clock = Date.now();
let requests = 0;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, restPort: 0 });
  const app = tokenExpressApp(emulator, { now: () => clock });
  server = app.listen(0, '127.0.0.1');
  server.on('request', () => requests++);
  await new Promise((resolve) => server.once('listening', resolve));
  gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await emulator.close();
});

it('when the token nears expiry, then the example fetches a new one and keeps sending with a new producer', async () => {
  const tokens = createTokenSource({
    gatewayUrl,
    apiKey: KEYS.partner,
    request: { scope: 'hub', access: 'send', ttlSeconds: 300 },
    now: () => clock,
  });
  const producer = createRefreshingProducer(tokens);
  try {
    const before = requests;
    await producer.send([{ n: 'partner-1' }]);
    await producer.send([{ n: 'partner-2' }]);
    expect(requests - before).toBe(1);
    clock += 250_000; // past the refresh point (a fifth of the lifetime before expiry)
    await producer.send([{ n: 'partner-3' }]);
    expect(requests - before).toBe(2);
  } finally {
    await producer.close();
  }
  const sent = emulator.store.allEvents('telemetry').map((e) => e.body.toString());
  for (const n of ['partner-1', 'partner-2', 'partner-3'])
    expect(sent.some((body) => body.includes(n))).toBe(true);
});

it('when the example asks for a publisher token, then it posts over REST', async () => {
  const tokens = createTokenSource({ gatewayUrl, apiKey: KEYS.partner, request: { publisher: 'sensor-17' } });
  await sendViaRest(tokens, { n: 'partner-rest' });
  const stored = emulator.store
    .allEvents('telemetry')
    .find((e) => e.body.toString().includes('partner-rest'));
  expect(stored?.publisher).toBe('sensor-17');
});
