/**
 * `TRUST_PROXY` → Express's `trust proxy` setting, which decides what `req.ip` is and so whose
 * budget a request spends. Behind a load balancer with the default (`false`), `req.ip` is the
 * balancer's address and every client shares one budget; trusting too much (`true`) lets any
 * client pick its own IP with `X-Forwarded-For` and escape its budget. So `true` is refused:
 * name the number of proxy hops or the proxies' addresses instead.
 */

export type TrustProxySetting = false | number | readonly string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);
const ADDRESS = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

/**
 * `''`/`false` → false; `1`, `2`… → that many hops; otherwise a comma-separated list of
 * addresses, CIDR ranges or `loopback`/`linklocal`/`uniquelocal`. Throws naming TRUST_PROXY.
 */
export function parseTrustProxy(value: string | undefined): TrustProxySetting {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true')
    throw new Error(
      'TRUST_PROXY=true lets any client forge its IP; give the number of hops or the proxy addresses',
    );
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 10) throw new Error(`TRUST_PROXY=${text}: more than 10 proxy hops is surely a mistake`);
    return hops;
  }
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !NAMED.has(entry) && !ADDRESS.test(entry));
  if (bad.length > 0)
    throw new Error(
      `TRUST_PROXY: not an address, CIDR range or loopback/linklocal/uniquelocal: ${bad.join(', ')}`,
    );
  return Object.freeze(entries);
}
