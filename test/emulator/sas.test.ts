/**
 * SAS verification as a pure module (shared with the REST path): tokens minted exactly as the SDK
 * mints them verify; every kind of tampering, expiry, scope and rights problem is named.
 */
import { covers, parseSasToken, resourceHost, resourcePath, verifySasToken } from '../../emulator/auth/sas';
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

  it('when the token names another namespace host than the audience, then it is refused as the service refuses it', () => {
    const verify = (sr: string, audience: string) =>
      verifySasToken(sasToken(sr, SEND_POLICY, LATER), {
        policies,
        audience,
        anyOfRights: ['Send'],
        now: NOW,
      });
    const other = verify('sb://other-ns.servicebus.windows.net/telemetry', 'sb://localhost:5672/telemetry');
    expect(other).toMatchObject({ ok: false, reason: 'audience' });
    expect(!other.ok && other.message).toContain("'other-ns.servicebus.windows.net'");
    expect(
      verify('sb://ns-a.servicebus.windows.net/telemetry', 'sb://ns-b.servicebus.windows.net/telemetry').ok,
    ).toBe(false);
    // The same namespace: host case, port, and the loopback names of the emulator itself.
    expect(
      verify('sb://NS-A.servicebus.windows.net/telemetry', 'sb://ns-a.servicebus.windows.net:5671/telemetry')
        .ok,
    ).toBe(true);
    expect(verify('sb://127.0.0.1:5672/telemetry', 'sb://localhost:5672/telemetry/Partitions/0').ok).toBe(
      true,
    );
    expect(verify('sb://[::1]:5672/telemetry', 'sb://localhost/telemetry').ok).toBe(true);
    // A bare path names no host (the REST path's audiences): judged by path alone.
    expect(verify('sb://localhost/telemetry', 'telemetry/publishers/x').ok).toBe(true);
    expect(resourceHost('sb://Host.Example:5671/hub')).toBe('host.example');
    expect(resourceHost('hub/partitions/0')).toBeUndefined();
  });
});
