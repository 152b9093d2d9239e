/**
 * SAS verification as a pure module (shared with the REST path): tokens minted exactly as the SDK
 * mints them verify; every kind of tampering, expiry, scope and rights problem is named.
 */
import { covers, parseSasToken, resourcePath, verifySasToken } from '../../emulator/auth/sas';
import { LISTEN_POLICY, ROOT_POLICY, SEND_POLICY, WELL_KNOWN_POLICIES } from '../../emulator/well-known';
import { sasToken } from './support/sdk';

const NOW = 1_700_000_000_000;
const LATER = NOW / 1000 + 3600;
const policies = WELL_KNOWN_POLICIES;

describe('SAS tokens', () => {
  it('when a token is signed like the SDK signs it, then it verifies for its resource and below', () => {
    const token = sasToken('sb://localhost:5672/telemetry', SEND_POLICY, LATER);
    for (const audience of [
      'sb://localhost:5672/telemetry',
      'sb://127.0.0.1/telemetry/Partitions/3',
      'TELEMETRY/publishers/x',
    ]) {
      const result = verifySasToken(token, { policies, audience, anyOfRights: ['Send'], now: NOW });
      expect(result).toMatchObject({ ok: true, policy: SEND_POLICY, expiresAtMs: LATER * 1000 });
    }
  });

  it('when the signature, key, expiry, scope or rights are wrong, then the reason is named', () => {
    const good = sasToken('sb://h/telemetry', SEND_POLICY, LATER);
    const reason = (
      token: string,
      audience = 'sb://h/telemetry',
      rights: Array<'Send' | 'Listen'> = ['Send'],
    ): unknown => {
      const result = verifySasToken(token, { policies, audience, anyOfRights: rights, now: NOW });
      return result.ok ? 'ok' : result.reason;
    };
    expect(reason(good)).toBe('ok');
    expect(reason(good.replace(/sig=[^&]+/, 'sig=AAAA'))).toBe('bad-signature');
    expect(reason(sasToken('sb://h/telemetry', { ...SEND_POLICY, key: 'other' }, LATER))).toBe(
      'bad-signature',
    );
    expect(reason(good.replace(`se=${LATER}`, `se=${LATER + 1}`))).toBe('bad-signature');
    expect(reason(sasToken('sb://h/telemetry', SEND_POLICY, NOW / 1000 - 1))).toBe('expired');
    expect(reason(good, 'sb://h/audit')).toBe('audience');
    expect(reason(good, 'sb://h/telemetry2')).toBe('audience');
    expect(
      reason(sasToken('sb://h/telemetry/publishers/a', SEND_POLICY, LATER), 'sb://h/telemetry/publishers/b'),
    ).toBe('audience');
    expect(reason(sasToken('sb://h/telemetry', LISTEN_POLICY, LATER))).toBe('rights');
    expect(reason(sasToken('sb://h/telemetry', ROOT_POLICY, LATER), 'sb://h/telemetry', ['Listen'])).toBe(
      'ok',
    );
    expect(reason(sasToken('sb://h/telemetry', { name: 'ghost', key: 'k', rights: ['Send'] }, LATER))).toBe(
      'unknown-policy',
    );
    expect(reason('Bearer abc')).toBe('malformed');
    expect(reason('SharedAccessSignature sr=a&sig=b')).toBe('malformed');
  });

  it('when the resource is encoded differently from JS, then the raw signed string still verifies', () => {
    // Other SDKs lowercase the escapes; the HMAC covers the bytes as sent.
    const raw = 'sb%3a%2f%2fh%2ftelemetry';
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const sig = createHmac('sha256', SEND_POLICY.key).update(`${raw}\n${LATER}`).digest('base64');
    const token = `SharedAccessSignature sr=${raw}&sig=${encodeURIComponent(sig)}&se=${LATER}&skn=${SEND_POLICY.name}`;
    expect(parseSasToken(token)?.resource).toBe('sb://h/telemetry');
    expect(verifySasToken(token, { policies, audience: 'sb://h/telemetry', now: NOW }).ok).toBe(true);
  });

  it('when paths are compared, then scheme, host, port, case and slashes are ignored, segment-wise', () => {
    expect(resourcePath('sb://LocalHost:5672/Hub/Partitions/0/')).toBe('hub/partitions/0');
    expect(covers('sb://a/hub', 'sb://b:1/HUB/ConsumerGroups/$default/Partitions/1')).toBe(true);
    expect(covers('sb://a/hub', 'sb://a/hubx')).toBe(false);
    expect(covers('sb://a/', 'sb://a/anything')).toBe(true);
  });
});
