/**
 * The shared store of the rate-limit budgets: with `REDIS_URL` set, every budget (events, tokens,
 * failed authentications) is counted in Redis with rate-limit-redis, so all replicas and workers
 * share one budget per key. One ioredis connection per process serves every budget.
 *
 * While Redis is unreachable the budgets fail open: a request is let through uncounted (never a
 * 5xx: an ingestion gateway that refuses readings because its limiter's store is down turns a
 * small fault into lost telemetry), counted in `gateway_rate_limit_unenforced_total`, and the
 * state shows in `gateway_rate_limit_store_up`. The log gets one line per change of state, not one
 * per request. ioredis reconnects by itself (backing off up to RECONNECT_MAX_MS), and the budgets
 * are enforced again from the first command that succeeds.
 *
 * Commands never queue while disconnected (`enableOfflineQueue: false`) and each has a timeout, so
 * a dead or hung Redis costs a request at most `timeoutMs`, not a hang; after a timeout the
 * connection is dropped and made again, so while Redis hangs the requests that follow pass at once.
 */
import { Redis } from 'ioredis';
import type { ClientRateLimitInfo, Options } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Logger } from '../observability/logger';
import type { Charge, ChargeableStore } from './rate-limit-charge';

/** Where the store's state is reported (metrics). */
export interface BudgetStoreObserver {
  /** The store became reachable (`true`) or unreachable (`false`). */
  storeState(up: boolean): void;
  /** A request of `budget` was let through uncounted because the store failed. */
  unenforced(budget: string): void;
}

export interface RedisBudgetStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string;
  /** Bound on one Redis command, and on connecting. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly observer?: BudgetStoreObserver;
  /** Prefix of every key the gateway writes (several gateways may share one Redis). */
  readonly keyPrefix?: string;
}

export interface RedisBudgetStore {
  /** An express-rate-limit store for one budget; keys are `<prefix><budget>:<client>`. */
  storeFor(budget: string): ChargeableStore;
  /** True while the last command (or connection event) succeeded. */
  readonly up: boolean;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** The store's state; the log and the gauge follow its transitions. */
type StoreState = { readonly kind: 'connecting' } | { readonly kind: 'up' } | { readonly kind: 'down' };

const RECONNECT_MAX_MS = 2000;

/**
 * Several hits in one round trip, on rate-limit-redis's keys (an integer with the window as its
 * expiry): starts the window when there is none, and with a limit (ARGV[3] >= 0) adds nothing when
 * the total would pass it. Answers { total, ms to reset, added 1/0 }.
 */
const CHARGE_SCRIPT = `
local window = tonumber(ARGV[1])
local hits = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  if limit >= 0 and hits > limit then return {0, window, 0} end
  redis.call('SET', KEYS[1], hits, 'PX', window)
  return {hits, window, 1}
end
local total = tonumber(redis.call('GET', KEYS[1])) or 0
if limit >= 0 and total + hits > limit then return {total, ttl, 0} end
return {redis.call('INCRBY', KEYS[1], hits), ttl, 1}
`;

/** The client with the charge script defined on it (ioredis sends EVALSHA, EVAL once after a flush). */
interface ChargingRedis extends Redis {
  gatewayChargeHits(key: string, windowMs: number, hits: number, limit: number): Promise<unknown>;
}

/** Thrown instead of sending when the connection is known to be down (so no request waits). */
class StoreUnavailable extends Error {
  constructor() {
    super('rate-limit store not connected');
    this.name = 'StoreUnavailable';
  }
}

export function createRedisBudgetStore(options: RedisBudgetStoreOptions): RedisBudgetStore {
  const { logger, observer, timeoutMs } = options;
  const keyPrefix = options.keyPrefix ?? 'gateway:rl:';
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, RECONNECT_MAX_MS),
    // rate-limit-redis loads its scripts itself (and reloads them after a Redis restart).
    lazyConnect: false,
  }) as ChargingRedis;
  client.defineCommand('gatewayChargeHits', { numberOfKeys: 1, lua: CHARGE_SCRIPT });

  let state: StoreState = { kind: 'connecting' };
  const become = (next: StoreState['kind'], error?: unknown): void => {
    if (state.kind === next) return;
    const previous = state.kind;
    state = { kind: next };
    if (next === 'up') {
      observer?.storeState(true);
      if (previous === 'down') logger.info('rate-limit store reachable again: budgets enforced');
      else logger.info('rate-limit store connected: budgets shared across processes');
    } else if (next === 'down') {
      observer?.storeState(false);
      logger.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'rate-limit store unreachable: requests pass uncounted until it is back',
      );
    }
  };
  observer?.storeState(false);
  client.on('ready', () => become('up'));
  // ioredis reports every failed connection attempt here; the state machine logs only changes.
  client.on('error', (error: unknown) => become('down', error));
  client.on('close', () => {
    if (state.kind === 'up') become('down', new Error('connection closed'));
  });

  const sendCommand = async (...args: string[]): Promise<RedisReply> => {
    if (client.status !== 'ready') throw new StoreUnavailable();
    const [command, ...rest] = args as [string, ...string[]];
    return (await client.call(command, ...rest)) as RedisReply;
  };

  const storeFor = (budget: string): ChargeableStore =>
    new FailOpenRedisStore(budget, `${keyPrefix}${budget}:`);

  /** rate-limit-redis's store, made again after a failure so its scripts are loaded afresh. */
  class FailOpenRedisStore implements ChargeableStore {
    readonly localKeys = false;
    private windowMs = 60_000;
    private inner: Promise<RedisStore> | undefined;

    constructor(
      private readonly budget: string,
      readonly prefix: string,
    ) {}

    init(rateLimitOptions: Options): void {
      this.windowMs = rateLimitOptions.windowMs;
    }

    async increment(key: string): Promise<ClientRateLimitInfo> {
      try {
        const store = await this.connected();
        const result = await store.increment(key);
        become('up');
        return result;
      } catch (error) {
        this.failed(error);
        observer?.unenforced(this.budget);
        // express-rate-limit's passOnStoreError lets the request through.
        throw error;
      }
    }

    async charge(key: string, hits: number, limit?: number): Promise<Charge> {
      try {
        if (client.status !== 'ready') throw new StoreUnavailable();
        const reply = await client.gatewayChargeHits(
          `${this.prefix}${key}`,
          this.windowMs,
          hits,
          limit ?? -1,
        );
        become('up');
        return chargeFromReply(reply);
      } catch (error) {
        // Not counted as unenforced here: the request's arrival was (or was counted); see chargeTo.
        this.failed(error);
        throw error;
      }
    }

    async decrement(key: string): Promise<void> {
      try {
        await (await this.connected()).decrement(key);
      } catch (error) {
        this.failed(error);
      }
    }

    async resetKey(key: string): Promise<void> {
      try {
        await (await this.connected()).resetKey(key);
      } catch (error) {
        this.failed(error);
      }
    }

    private connected(): Promise<RedisStore> {
      if (client.status !== 'ready') return Promise.reject(new StoreUnavailable());
      this.inner ??= (async () => {
        const store = new RedisStore({ sendCommand, prefix: this.prefix });
        // Only windowMs is read by rate-limit-redis's init.
        await store.init({ windowMs: this.windowMs } as Options);
        return store;
      })();
      return this.inner;
    }

    private failed(error: unknown): void {
      this.inner = undefined;
      if (error instanceof StoreUnavailable) return;
      become('down', error);
      // No answer on an open connection: Redis (or the way to it) hangs. Drop the connection, so
      // the requests that follow fail open at once instead of each waiting `timeoutMs`; ioredis
      // reconnects, and its ready check (bounded by the same timeout) is the probe for recovery.
      if (isTimeout(error) && client.status === 'ready') client.disconnect(true);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    storeFor,
    get up() {
      return state.kind === 'up';
    },
    close() {
      closing ??= client.quit().then(
        () => undefined,
        () => client.disconnect(),
      );
      return closing;
    },
  };
}

/** ioredis's `commandTimeout` rejection. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

function chargeFromReply(reply: unknown): Charge {
  if (!Array.isArray(reply) || reply.length !== 3)
    throw new TypeError('unexpected reply to the charge script');
  const [total, resetMs, added] = reply.map(Number) as [number, number, number];
  return { added: added === 1, totalHits: total, resetTime: new Date(Date.now() + resetMs) };
}
