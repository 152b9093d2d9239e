import { createHmac } from 'node:crypto';
import { GatewayError } from '../errors';
import { toPrincipal, type GrantSpec } from '../auth/principal';
import { createTokenIssuer, type TokenIssuerOptions } from './token-issuer';
import { parseTokenRequest, type TokenRequest } from './token-request';
import { publisherNameProblem } from './publisher-name';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const SEND = { name: 'gateway-send', key: 'send-key' };
const LISTEN = { name: 'gateway-listen', key: 'listen-key' };

const options = (over: Partial<TokenIssuerOptions> = {}): TokenIssuerOptions => ({
  endpoint: 'sb://localhost:5672/',
  eventHub: 'telemetry',
  sendPolicy: SEND,
  listenPolicy: LISTEN,
  useDevelopmentEmulator: true,
  restBaseUrl: 'http://127.0.0.1:9999/',
  ...over,
});

const principal = (over: Partial<GrantSpec> = {}) =>
  toPrincipal({
    id: 'partner',
    scopes: ['tokens:issue'],
    eventTypes: [],
    sensors: [],
    tokens: { publishers: ['sensor-17', 'plant-a-*'], hub: ['send', 'listen'] },
    ...over,
  });

const req = (body: unknown): TokenRequest => {
  const parsed = parseTokenRequest(body);
  if (parsed instanceof GatewayError) throw parsed;
  return parsed;
};

const failure = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
};

describe('createTokenIssuer', () => {
  it('when a publisher token is requested, then it is send-only, scoped to the publisher, signed with the send policy, with a REST url', () => {
    const issued = createTokenIssuer(options()).issue(principal(), req({ publisher: 'sensor-17' }), NOW);
    const se = NOW / 1000 + 900;
    const resource = 'sb://localhost:5672/telemetry/publishers/sensor-17';
    const sr = encodeURIComponent(resource);
    const sig = createHmac('sha256', 'send-key').update(`${sr}\n${se}`).digest('base64');
    expect(issued).toEqual({
      token: `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=gateway-send`,
      expiresAt: '2030-01-01T00:15:00.000Z',
      expiresOn: se,
      resource,
      namespace: 'localhost:5672',
      eventHub: 'telemetry',
      scope: 'publisher',
      access: 'send',
      publisher: 'sensor-17',
      restUrl: 'http://127.0.0.1:9999/telemetry/publishers/sensor-17/messages',
    });
  });

  it('when a hub listen token is requested, then it is signed with the listen policy and comes with an emulator connection string', () => {
    const issued = createTokenIssuer(options()).issue(
      principal(),
      req({ scope: 'hub', access: 'listen', ttlSeconds: 60 }),
      NOW,
    );
    expect(issued.resource).toBe('sb://localhost:5672/telemetry');
    expect(issued.token).toMatch(/&se=1893456060&skn=gateway-listen$/);
    expect(issued.connectionString).toBe(
      `Endpoint=sb://localhost:5672/;SharedAccessSignature=${issued.token};EntityPath=telemetry;UseDevelopmentEmulator=true`,
    );
    expect(issued.restUrl).toBeUndefined();
  });

  it('when targeting Azure, then the connection string has no emulator flag and the REST url is https on the namespace', () => {
    const issuer = createTokenIssuer(
      options({
        endpoint: 'sb://ns.servicebus.windows.net',
        useDevelopmentEmulator: false,
        restBaseUrl: undefined,
      }),
    );
    expect(issuer.issue(principal(), req({ scope: 'hub', access: 'send' }), NOW).connectionString).toMatch(
      /^Endpoint=sb:\/\/ns\.servicebus\.windows\.net\/;SharedAccessSignature=SharedAccessSignature sr=[^;]+;EntityPath=telemetry$/,
    );
    expect(issuer.issue(principal(), req({ publisher: 'plant-a-7' }), NOW).restUrl).toBe(
      'https://ns.servicebus.windows.net/telemetry/publishers/plant-a-7/messages',
    );
  });

  it('when ttlSeconds exceeds the gateway maximum or the key maximum, then 400 and no stretching', () => {
    const issuer = createTokenIssuer(options({ maxTtlSeconds: 1800 }));
    expect(
      failure(() => issuer.issue(principal(), req({ publisher: 'sensor-17', ttlSeconds: 1801 }), NOW)).status,
    ).toBe(400);
    const capped = principal({ tokens: { publishers: ['*'], maxTtlSeconds: 300 } });
    expect(
      failure(() => issuer.issue(capped, req({ publisher: 'x', ttlSeconds: 301 }), NOW)).message,
    ).toMatch(/key's maximum of 300/);
    // With no ttl requested the default shrinks to the key's maximum.
    expect(issuer.issue(capped, req({ publisher: 'x' }), NOW).expiresOn).toBe(NOW / 1000 + 300);
  });

  it('when the key does not grant the publisher, hub access or scope, then 403', () => {
    const issuer = createTokenIssuer(options());
    expect(failure(() => issuer.issue(principal(), req({ publisher: 'sensor-18' }), NOW)).status).toBe(403);
    expect(failure(() => issuer.issue(principal(), req({ publisher: 'plant-b-1' }), NOW)).status).toBe(403);
    const sendOnly = principal({ tokens: { hub: ['send'] } });
    expect(failure(() => issuer.issue(sendOnly, req({ scope: 'hub', access: 'listen' }), NOW)).status).toBe(
      403,
    );
    expect(
      failure(() =>
        issuer.issue(principal({ scopes: ['events:write'] }), req({ publisher: 'sensor-17' }), NOW),
      ).status,
    ).toBe(403);
  });

  it('when the needed policy is not configured, then 501 naming the missing settings', () => {
    const issuer = createTokenIssuer(options({ listenPolicy: undefined }));
    const error = failure(() => issuer.issue(principal(), req({ scope: 'hub', access: 'listen' }), NOW));
    expect(error.status).toBe(501);
    expect(error.message).toContain('SAS_LISTEN_KEY_NAME and SAS_LISTEN_KEY');
    expect(issuer.issue(principal(), req({ scope: 'hub', access: 'send' }), NOW).access).toBe('send');
  });

  it('when options contradict, then creation throws naming the option', () => {
    expect(() => createTokenIssuer(options({ defaultTtlSeconds: 4000 }))).toThrow(/defaultTtlSeconds/);
    expect(() => createTokenIssuer(options({ endpoint: 'https://x/' }))).toThrow(/endpoint/);
    expect(() => createTokenIssuer(options({ eventHub: 'a/b' }))).toThrow(/eventHub/);
  });
});

describe('parseTokenRequest', () => {
  it.each([
    [{}, /publisher is required/],
    [{ publisher: 'a b' }, /only ASCII letters/],
    [{ publisher: 'a/b' }, /only ASCII letters/],
    [{ publisher: 'a%2Fb' }, /only ASCII letters/],
    [{ publisher: '..' }, /start with a letter or digit/],
    [{ publisher: 'x'.repeat(129) }, /1-128/],
    [{ publisher: 'x', access: 'listen' }, /send-only/],
    [{ scope: 'hub' }, /"send" or "listen"/],
    [{ scope: 'hub', access: 'manage' }, /"send" or "listen"/],
    [{ scope: 'hub', access: 'send', publisher: 'x' }, /cannot be combined/],
    [{ scope: 'namespace' }, /scope must be/],
    [{ publisher: 'x', ttlSeconds: 0 }, /positive integer/],
    [{ publisher: 'x', ttlSeconds: '60' }, /positive integer/],
    [{ publisher: 'x', acess: 'send' }, /Unknown field/],
    [[], /JSON object/],
  ])('when the body is %j, then 400 (%s)', (body, message) => {
    const parsed = parseTokenRequest(body);
    expect(parsed).toBeInstanceOf(GatewayError);
    expect((parsed as GatewayError).message).toMatch(message);
  });

  it('when the body is valid, then defaults are explicit', () => {
    expect(parseTokenRequest({ publisher: 'sensor-1' })).toEqual({
      scope: 'publisher',
      publisher: 'sensor-1',
      ttlSeconds: undefined,
    });
    expect(parseTokenRequest({ scope: 'hub', access: 'listen', ttlSeconds: 60 })).toEqual({
      scope: 'hub',
      access: 'listen',
      ttlSeconds: 60,
    });
  });
});

describe('publisherNameProblem', () => {
  it('when names are from the safe set, then they are accepted', () => {
    for (const name of ['a', 'sensor-17', 'Plant_A.7~x', '0'.repeat(128)])
      expect(publisherNameProblem(name)).toBeUndefined();
  });
  it('when names carry separators, whitespace, encodings or non-ASCII, then they are refused', () => {
    for (const name of ['', ' a', 'a\n', 'a/b', 'a%20b', 'ä', '.hidden', '-x', 'a?b', 'a#b', 'a&b', 'a+b'])
      expect(publisherNameProblem(name)).toBeDefined();
  });
});
