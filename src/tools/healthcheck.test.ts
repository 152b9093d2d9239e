import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkHealth, healthUrl } from './healthcheck';

describe('container health check', () => {
  it('when HOST and PORT are set, then it asks there; wildcards and unset HOST mean loopback', () => {
    expect(healthUrl({})).toBe('http://127.0.0.1:8080/healthz');
    expect(healthUrl({ HOST: '0.0.0.0', PORT: '9000' })).toBe('http://127.0.0.1:9000/healthz');
    expect(healthUrl({ HOST: '10.1.2.3', PORT: '81' })).toBe('http://10.1.2.3:81/healthz');
    expect(healthUrl({ HOST: '::' })).toBe('http://[::1]:8080/healthz');
    expect(healthUrl({ HOST: 'fd00::5', PORT: ' 82 ' })).toBe('http://[fd00::5]:82/healthz');
  });

  it('when /healthz answers 200 it passes; a 503 or nobody listening fails with the reason', async () => {
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = String((server.address() as AddressInfo).port);
    try {
      expect(await checkHealth({ HOST: '127.0.0.1', PORT: port })).toBeUndefined();
      status = 503;
      expect(await checkHealth({ HOST: '127.0.0.1', PORT: port })).toMatch(/answered 503/);
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect(await checkHealth({ HOST: '127.0.0.1', PORT: port }, 500)).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
