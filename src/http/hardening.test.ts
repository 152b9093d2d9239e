import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import {
  applyServerLimits,
  hardenApp,
  securityHeaderList,
  securityHeaders,
  serverOptions,
} from './hardening';

describe('securityHeaderList', () => {
  it('when computed, then it holds the API policy and no X-Powered-By', () => {
    const headers = new Map(securityHeaderList());
    expect(headers.get('Content-Security-Policy')).toBe(
      "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    );
    expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(headers.get('X-Frame-Options')).toBe('DENY');
    expect(headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(headers.get('Strict-Transport-Security')).toBe('max-age=31536000; includeSubDomains');
    expect(headers.has('X-Powered-By')).toBe(false);
  });
});

describe('hardenApp and securityHeaders', () => {
  it('when a route fails, then headers are set and Express’s own error page shows no stack', async () => {
    const app = express();
    hardenApp(app);
    app.use(securityHeaders());
    app.get('/boom', () => {
      throw new Error('secret internals at /srv/gateway/src/thing.ts:42');
    });
    // Express's fallback handler reports the error on stderr (the operator's side), not to clients.
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await request(app).get('/boom').expect(500);
    stderr.mockRestore();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).not.toContain('secret internals');
    expect(res.text).not.toContain('thing.ts');
  });

  it('when trust proxy is given, then Express uses it', () => {
    const app = express();
    hardenApp(app, { trustProxy: 1 });
    expect(app.get('trust proxy')).toBe(1);
  });
});

describe('serverOptions', () => {
  it('when the request timeout is below the headers timeout, then it throws naming both', () => {
    expect(() => serverOptions({ headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).toThrow(
      /requestTimeoutMs.*headersTimeoutMs/,
    );
  });

  it('when the headers timeout is short, then the checking interval follows it', () => {
    expect(serverOptions({ headersTimeoutMs: 400, requestTimeoutMs: 1000 }).connectionsCheckingInterval).toBe(
      100,
    );
    expect(serverOptions().connectionsCheckingInterval).toBe(1000);
  });
});

describe('server limits', () => {
  let server: Server;
  let port: number;

  beforeEach(async () => {
    const limits = { headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnections: 3 };
    server = createServer(serverOptions(limits), (_req, res) => {
      res.end('ok');
    });
    applyServerLimits(server, limits);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when a client sends headers byte by byte, then it is cut off while others are served', async () => {
    const slow = connect(port, '127.0.0.1');
    let received = '';
    slow.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const closed = new Promise<number>((resolve) => slow.on('close', () => resolve(Date.now())));
    const started = Date.now();
    const header = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (!slow.destroyed && i < header.length) slow.write(header[i++]!);
    }, 20);
    try {
      // Meanwhile, well-behaved clients are served.
      for (let n = 0; n < 5; n += 1) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect(await res.text()).toBe('ok');
      }
      const closedAt = await closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(450);
      expect(closedAt - started).toBeLessThan(2500);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(i).toBeLessThan(header.length);
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  });

  it('when the connection cap is reached, then further connections are closed at once', async () => {
    const open = async (): Promise<ReturnType<typeof connect>> => {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    };
    const held = [await open(), await open(), await open()];
    try {
      // Wait until the server has accepted all three, so the fourth is the one over the cap.
      const deadline = Date.now() + 2000;
      let count = 0;
      while (count < 3 && Date.now() < deadline)
        count = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
      const extra = await open();
      await new Promise((resolve) => extra.once('close', resolve));
      expect(extra.destroyed).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
