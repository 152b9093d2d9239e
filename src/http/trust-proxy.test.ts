import express from 'express';
import request from 'supertest';
import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it('when unset, empty, false or 0, then nothing is trusted', () => {
    for (const value of [undefined, '', 'false', '0', ' ']) expect(parseTrustProxy(value)).toBe(false);
  });

  it('when a number, then it is the count of proxy hops', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
  });

  it('when addresses, ranges or names, then they are listed', () => {
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
  });

  it('when true or garbage, then it throws naming TRUST_PROXY', () => {
    expect(() => parseTrustProxy('true')).toThrow(/TRUST_PROXY/);
    expect(() => parseTrustProxy('my-proxy.internal')).toThrow(/TRUST_PROXY.*my-proxy/);
    expect(() => parseTrustProxy('99')).toThrow(/TRUST_PROXY/);
  });

  it('when given to Express, then req.ip follows X-Forwarded-For only as far as trusted', async () => {
    const ipWith = async (setting: ReturnType<typeof parseTrustProxy>): Promise<string> => {
      const app = express();
      app.set('trust proxy', setting);
      app.get('/', (req, res) => {
        res.send(req.ip);
      });
      const res = await request(app).get('/').set('X-Forwarded-For', '203.0.113.9, 198.51.100.7');
      return res.text;
    };
    expect(await ipWith(false)).toMatch(/127\.0\.0\.1|::1/);
    expect(await ipWith(1)).toBe('198.51.100.7');
    expect(await ipWith(['loopback'])).toBe('198.51.100.7');
    expect(await ipWith(2)).toBe('203.0.113.9');
  });
});
