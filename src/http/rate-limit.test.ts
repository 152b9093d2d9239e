import express, { type Express } from 'express';
import request from 'supertest';
import { authenticate, createKeyStore, hashApiKey, type ApiKeyEntry } from '../auth';
import { errorHandler } from './error-handler';
import { MemoryChargeStore, type ChargeableStore } from './rate-limit-charge';
import {
  authFailureLimit,
  createRateLimit,
  createRateLimits,
  limitPerWindow,
  type RateLimitBudget,
} from './rate-limit';

const NOISY = 'ehgw_noisy-key-0000000000000000000000000000000';
const QUIET = 'ehgw_quiet-key-0000000000000000000000000000000';
const entry = (id: string, key: string): ApiKeyEntry => ({
  id,
  sha256: hashApiKey(key),
  scopes: ['events:write', 'tokens:issue'],
  eventTypes: ['*'],
  sensors: ['*'],
});

/** An app with the gateway's order: authenticate → budget → handler; 401s through the auth budget. */
function appWith(limits: { events: number; tokens: number; auth: number; windowMs?: number }): {
  app: Express;
  limited: RateLimitBudget[];
} {
  const limited: RateLimitBudget[] = [];
  const rl = createRateLimits(
    {
      eventsPerMinute: limits.events,
      tokensPerMinute: limits.tokens,
      authFailuresPerMinute: limits.auth,
      windowMs: limits.windowMs ?? 60_000,
    },
    (budget) => limited.push(budget),
  );
  const store = createKeyStore([entry('noisy', NOISY), entry('quiet', QUIET)]);
  const app = express();
  const pass: express.RequestHandler = (_req, _res, next) => next();
  app.post('/v1/events', authenticate(store), rl.events ?? pass, (_req, res) => {
    res.status(202).end();
  });
  app.post('/v1/tokens', authenticate(store), rl.tokens ?? pass, (_req, res) => {
    res.status(200).end();
  });
  app.use(authFailureLimit(rl.auth));
  app.use(errorHandler);
  return { app, limited };
}

describe('limitPerWindow', () => {
  it('when the window is not a minute, then the budget scales with it and is at least 1', () => {
    expect(limitPerWindow(60, 60_000)).toBe(60);
    expect(limitPerWindow(120, 1_000)).toBe(2);
    expect(limitPerWindow(10, 1_000)).toBe(1);
  });
});

describe('createRateLimit', () => {
  it('when the budget is 0, then no limiter is created', () => {
    expect(createRateLimit({ budget: 'events', perMinute: 0 })).toBeUndefined();
  });

  it('when the options contradict, then creation fails naming them', () => {
    expect(() => createRateLimit({ budget: 'events', perMinute: -1 })).toThrow(/perMinute/);
    expect(() => createRateLimit({ budget: 'events', perMinute: 1, windowMs: 10 })).toThrow(/windowMs/);
  });

  it('when a key exceeds its events budget, then 429 problem+json with Retry-After and RateLimit headers', async () => {
    const { app, limited } = appWith({ events: 2, tokens: 5, auth: 5 });
    const ok = await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(202);
    expect(ok.headers['ratelimit-policy']).toBe('2;w=60');
    expect(ok.headers.ratelimit).toMatch(/^limit=2, remaining=1, reset=\d+$/);
    await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(202);
    const refused = await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers.ratelimit).toMatch(/remaining=0/);
    expect(refused.body).toMatchObject({
      status: 429,
      code: 'GW_ERR_RATE_LIMITED',
      budget: 'events',
      retryable: true,
    });
    expect(limited).toEqual(['events']);
  });

  it('when one key is noisy, then another key and the same key’s token budget are untouched', async () => {
    const { app } = appWith({ events: 1, tokens: 1, auth: 5 });
    await request(app).post('/v1/events').set('Authorization', `Bearer ${NOISY}`).expect(202);
    await request(app).post('/v1/events').set('Authorization', `Bearer ${NOISY}`).expect(429);
    await request(app).post('/v1/events').set('Authorization', `Bearer ${QUIET}`).expect(202);
    await request(app).post('/v1/tokens').set('Authorization', `Bearer ${NOISY}`).expect(200);
    await request(app).post('/v1/tokens').set('Authorization', `Bearer ${NOISY}`).expect(429);
  });

  it('when the window passes, then the budget recovers', async () => {
    const { app } = appWith({ events: 60, tokens: 5, auth: 5, windowMs: 1000 });
    await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(202);
    const refused = await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    const deadline = Date.now() + 3000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await request(app).post('/v1/events').set('X-API-Key', NOISY)).status;
    }
    expect(status).toBe(202);
  });

  it('when an address keeps presenting bad keys, then it gets 429 while valid keys still pass', async () => {
    const { app, limited } = appWith({ events: 100, tokens: 100, auth: 2 });
    const bad = 'ehgw_wrong-key-000000000000000000000000000000';
    const first = await request(app).post('/v1/events').set('X-API-Key', bad).expect(401);
    expect(first.headers['www-authenticate']).toMatch(/^Bearer/);
    await request(app).post('/v1/events').set('X-API-Key', bad).expect(401);
    await request(app).post('/v1/events').set('X-API-Key', bad).expect(429);
    await request(app).post('/v1/events').expect(429);
    await request(app).post('/v1/events').set('X-API-Key', QUIET).expect(202);
    expect(limited).toEqual(['auth', 'auth']);
  });
});

describe('admitEvents', () => {
  /** An events store that counts arrivals in memory and whose multi-hit charge fails. */
  function failingChargeStore(): ChargeableStore {
    const store: ChargeableStore = new MemoryChargeStore();
    store.charge = () => Promise.reject(new Error('store went away'));
    return store;
  }

  it('when the charge of a counted request fails, then the readings pass and it is reported unenforced', async () => {
    const unenforced: string[] = [];
    const rl = createRateLimits(
      { eventsPerMinute: 5, tokensPerMinute: 0, authFailuresPerMinute: 0, windowMs: 60_000 },
      undefined,
      (budget) => (budget === 'events' ? failingChargeStore() : new MemoryChargeStore()),
      (budget) => unenforced.push(budget),
    );
    const store = createKeyStore([entry('noisy', NOISY)]);
    const app = express();
    app.post('/v1/events', authenticate(store), rl.events!, (req, res, next) => {
      Promise.resolve(rl.admitEvents(req, res, 100)).then(() => res.status(202).end(), next);
    });
    app.use(errorHandler);
    await request(app).post('/v1/events').set('X-API-Key', NOISY).expect(202);
    expect(unenforced).toEqual(['events']);
  });
});
