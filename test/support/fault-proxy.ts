/**
 * A TCP fault proxy for tests: listens on a free loopback port and forwards every connection to
 * `target`, so the gateway talks to the emulator through it. Faults, as a cloud network produces
 * them:
 * - `reset()`: every open connection is cut with a TCP RST, both sides (new ones work at once);
 * - `blackhole()`: every open connection, and every one opened until `restore()`, goes silent: the
 *   proxy stops reading and writing it but never closes it, like a stateful firewall or NAT that
 *   lost its entry. Such connections stay dead after `restore()`; only new ones work again;
 * - `latency(ms)`: each chunk is delivered `ms` later, in order, both ways.
 */
import net from 'node:net';

export interface FaultProxy {
  /** Port on 127.0.0.1 to connect to instead of the target's. */
  readonly port: number;
  reset(): void;
  blackhole(): void;
  restore(): void;
  latency(ms: number): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  dead: boolean;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let blackholed = false;
  let delayMs = 0;
  let accepted = 0;

  const forward = (pair: Pair, from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (pair.dead) return;
      if (delayMs === 0) to.write(chunk);
      else setTimeout(() => pair.dead || to.destroyed || to.write(chunk), delayMs);
    });
  };
  const silence = (pair: Pair): void => {
    pair.dead = true;
    pair.client.pause();
    pair.upstream.pause();
  };

  const server = net.createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    const upstream = net.connect(target.port, target.host);
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream, dead: false };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    // A silenced connection is never closed by the proxy; the peer that gives up closes it.
    client.on('close', () => (pair.dead ? pairs.delete(pair) : drop()));
    upstream.on('close', () => (pair.dead ? undefined : drop()));
    forward(pair, client, upstream);
    forward(pair, upstream, client);
    if (blackholed) silence(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get accepted() {
      return accepted;
    },
    reset() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      }
    },
    blackhole() {
      blackholed = true;
      for (const pair of pairs) silence(pair);
    },
    restore() {
      blackholed = false;
    },
    latency(ms) {
      delayMs = ms;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
