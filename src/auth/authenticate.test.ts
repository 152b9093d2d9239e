import { GatewayError } from '../errors';
import { authenticateHeader, extractApiKey } from './authenticate';
import { authorizeSensors, forbiddenEvent } from './authorize';
import { DEV_API_KEY } from './dev-key';
import { createKeyStore, hashApiKey } from './key-store';
import { loadKeyStore } from './load-key-store';

const KEY = 'ehgw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const store = createKeyStore([
  {
    id: 'device-17',
    sha256: hashApiKey(KEY),
    scopes: ['events:write'],
    eventTypes: ['telemetry'],
    sensors: ['sensor-17', 'plant-a/*'],
  },
]);

const status = (result: unknown): number | undefined =>
  result instanceof GatewayError ? result.status : undefined;

describe('authenticateHeader', () => {
  it('when the key comes as Bearer or X-API-Key, then the principal is found', () => {
    expect(authenticateHeader(store, `Bearer ${KEY}`, undefined)).toMatchObject({ keyId: 'device-17' });
    expect(authenticateHeader(store, `bearer  ${KEY}`, undefined)).toMatchObject({ keyId: 'device-17' });
    expect(authenticateHeader(store, undefined, KEY)).toMatchObject({ keyId: 'device-17' });
    expect(authenticateHeader(store, `Bearer ${KEY}`, KEY)).toMatchObject({ keyId: 'device-17' });
    // A proxy's own Authorization scheme does not hide X-API-Key.
    expect(authenticateHeader(store, 'Basic dXNlcjpwdw==', KEY)).toMatchObject({ keyId: 'device-17' });
  });

  it.each([
    ['missing', undefined, undefined],
    ['another scheme', 'Basic dXNlcjpwdw==', undefined],
    ['SAS instead of a key', 'SharedAccessSignature sr=x&sig=y&se=1&skn=z', undefined],
    ['empty bearer', 'Bearer ', undefined],
    ['too short', 'Bearer abc', undefined],
    ['control characters', undefined, `${KEY}\u0001`],
    ['two X-API-Key headers', undefined, [KEY, KEY]],
    ['conflicting headers', `Bearer ${KEY}`, `${KEY}x`],
    ['unknown key', `Bearer ${KEY}x`, undefined],
    ['one character changed', `Bearer ${KEY.slice(0, -1)}H`, undefined],
  ])('when the key is %s, then 401 without echoing it', (_name, authorization, apiKey) => {
    const result = authenticateHeader(store, authorization, apiKey);
    expect(status(result)).toBe(401);
    expect((result as GatewayError).message).not.toContain(KEY.slice(5));
  });

  it('when the X-API-Key value has surrounding spaces, then they are trimmed', () => {
    expect(extractApiKey(undefined, `  ${KEY} `)).toBe(KEY);
  });
});

describe('authorizeSensors', () => {
  const principal = store.lookup(KEY)!;

  it('when every sensor is covered, then ok', () => {
    expect(authorizeSensors(principal, 'telemetry', ['sensor-17', 'plant-a/line-2'])).toEqual({ ok: true });
  });

  it('when one event claims another sensor, then the first failing index is named', () => {
    const decision = authorizeSensors(principal, 'telemetry', [
      'sensor-17',
      'plant-a/x',
      'sensor-18',
      'sensor-19',
    ]);
    expect(decision).toMatchObject({ ok: false, index: 2 });
    const error = forbiddenEvent(decision as { index: number; reason: string });
    expect(error.status).toBe(403);
    expect(error.extensions).toEqual({ index: 2 });
    expect(error.message).toMatch(/^Event 2: .*sensor-18/);
  });

  it('when the type or the scope is not granted, then index 0', () => {
    expect(authorizeSensors(principal, 'alarm', ['sensor-17'])).toMatchObject({
      ok: false,
      index: 0,
      reason: expect.stringMatching(/type/),
    });
    const tokensOnly = createKeyStore([
      { id: 't', sha256: hashApiKey(KEY), scopes: ['tokens:issue'], eventTypes: ['*'], sensors: ['*'] },
    ]).lookup(KEY)!;
    expect(authorizeSensors(tokensOnly, 'telemetry', ['a'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/events:write/),
    });
  });
});

describe('loadKeyStore', () => {
  it('when in development with no file, then only the well-known development key works', () => {
    const dev = loadKeyStore({ file: undefined, developmentMode: true });
    expect(dev.development).toBe(true);
    expect(dev.lookup(DEV_API_KEY)?.scopes.has('tokens:issue')).toBe(true);
    expect(dev.lookup(KEY)).toBeUndefined();
  });

  it('when targeting Azure with no file, then it refuses naming API_KEYS_FILE', () => {
    expect(() => loadKeyStore({ file: undefined, developmentMode: false })).toThrow(
      /API_KEYS_FILE is not set/,
    );
    expect(() => loadKeyStore({ file: '', developmentMode: false })).toThrow(/API_KEYS_FILE/);
  });

  it('when the file is given, then the development key is not accepted, and an empty or unreadable file is refused', () => {
    const text = JSON.stringify({ keys: [{ id: 'k', sha256: hashApiKey(KEY), scopes: ['events:write'] }] });
    const fromFile = loadKeyStore({ file: 'k.json', developmentMode: true, readFile: () => text });
    expect(fromFile.development).toBe(false);
    expect(fromFile.lookup(DEV_API_KEY)).toBeUndefined();
    expect(fromFile.lookup(KEY)?.keyId).toBe('k');
    expect(() =>
      loadKeyStore({ file: 'k.json', developmentMode: false, readFile: () => '{"keys":[]}' }),
    ).toThrow(/holds no keys/);
    expect(() =>
      loadKeyStore({
        file: '/nope.json',
        developmentMode: false,
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow(/API_KEYS_FILE \/nope.json cannot be read/);
  });
});
