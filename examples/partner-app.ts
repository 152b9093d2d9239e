/**
 * A partner app that sends straight to Event Hubs with short-lived tokens from the gateway.
 *
 *   GATEWAY_URL=http://127.0.0.1:8080 GATEWAY_API_KEY=<key with tokens:issue> npm run partner-app
 *
 * 1. Ask the gateway for a hub-wide send token (`POST /v1/tokens`, API key in the Authorization header).
 * 2. Send with the unmodified `@azure/event-hubs` SDK through the returned connection string.
 * 3. Before the token expires, fetch a new one and swap the producer: a connection string with a
 *    `SharedAccessSignature` carries one fixed token, so a fresh token means a fresh client.
 *
 * Least privilege: prefer `{"publisher": "<your device>"}` tokens and the REST URL in the answer
 * when you send for a single device (see `sendViaRest`); ask for hub-wide tokens only when needed.
 * Never log the token or the API key.
 */
import { EventHubProducerClient } from '@azure/event-hubs';

export interface TokenAnswer {
  readonly token: string;
  readonly expiresOn: number;
  readonly expiresAt: string;
  readonly eventHub: string;
  readonly connectionString?: string;
  readonly restUrl?: string;
}

export interface TokenSourceOptions {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  /** The token request body, e.g. `{ scope: 'hub', access: 'send' }` or `{ publisher: 'sensor-17' }`. */
  readonly request: Readonly<Record<string, unknown>>;
  /** Fetch a new token this many seconds before expiry (default: a fifth of the lifetime, at least 1 s). */
  readonly refreshBeforeSeconds?: number;
  readonly now?: () => number;
}

/** Hands out a valid token, fetching a new one when the current one is close to expiry. */
export function createTokenSource(options: TokenSourceOptions): { current(): Promise<TokenAnswer> } {
  const now = options.now ?? Date.now;
  let cached: { answer: TokenAnswer; refreshAtMs: number } | undefined;
  async function fetchToken(): Promise<TokenAnswer> {
    const res = await fetch(new URL('/v1/tokens', options.gatewayUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(options.request),
    });
    if (!res.ok) {
      const problem = (await res.json().catch(() => ({}))) as { detail?: string };
      throw new Error(`token request failed: ${res.status} ${problem.detail ?? res.statusText}`);
    }
    return (await res.json()) as TokenAnswer;
  }
  return {
    async current() {
      if (cached === undefined || now() >= cached.refreshAtMs) {
        const issuedAtMs = now();
        const answer = await fetchToken();
        const lifetimeS = answer.expiresOn - issuedAtMs / 1000;
        const margin = options.refreshBeforeSeconds ?? Math.max(1, lifetimeS / 5);
        cached = { answer, refreshAtMs: (answer.expiresOn - margin) * 1000 };
      }
      return cached.answer;
    },
  };
}

/** A producer that is rebuilt whenever the token source hands out a new token. */
export function createRefreshingProducer(tokens: { current(): Promise<TokenAnswer> }) {
  let producer: EventHubProducerClient | undefined;
  let token: string | undefined;
  return {
    async send(bodies: readonly unknown[]): Promise<void> {
      const answer = await tokens.current();
      if (answer.connectionString === undefined) throw new Error('ask for a hub token to send with the SDK');
      if (answer.token !== token) {
        await producer?.close();
        producer = new EventHubProducerClient(answer.connectionString, { retryOptions: { maxRetries: 3 } });
        token = answer.token;
      }
      await (producer as EventHubProducerClient).sendBatch(bodies.map((body) => ({ body })));
    },
    async close(): Promise<void> {
      await producer?.close();
    },
  };
}

/** One device, least privilege: a publisher token and the Event Hubs REST API. */
export async function sendViaRest(tokens: { current(): Promise<TokenAnswer> }, body: unknown): Promise<void> {
  const answer = await tokens.current();
  if (answer.restUrl === undefined) throw new Error('ask for a publisher token to send over REST');
  const res = await fetch(answer.restUrl, {
    method: 'POST',
    headers: { authorization: answer.token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`REST send failed: ${res.status}`);
}

async function main(): Promise<void> {
  const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  // The gateway's well-known development key works only against a gateway in development mode.
  const apiKey = process.env.GATEWAY_API_KEY ?? 'dev-only-not-secret-gateway-key';
  const tokens = createTokenSource({
    gatewayUrl,
    apiKey,
    request: { scope: 'hub', access: 'send', ttlSeconds: 300 },
  });
  const producer = createRefreshingProducer(tokens);
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  try {
    for (let i = 0; !stop; i++) {
      await producer.send([{ sensor_id: 'partner-demo', seq: i, at: new Date().toISOString() }]);
      process.stdout.write(`sent event ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await producer.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
