import { createHmac } from 'node:crypto';
import { createSasTokenProvider } from '@azure/core-amqp';
import { signSas } from './sign-sas';

describe('signSas', () => {
  it('when signing the reference note example, then the token equals the one observed on the wire', () => {
    const token = signSas({
      resourceUri: 'sb://localhost:5673/hub/$management',
      keyName: 'RootManageSharedAccessKey',
      key: 'c2VjcmV0LWtleQ==',
      expiresAt: 1795530603,
    });
    expect(token).toBe(
      'SharedAccessSignature sr=sb%3A%2F%2Flocalhost%3A5673%2Fhub%2F%24management' +
        '&sig=n4jR2%2BUiOkb8J9fx2oGb3yYwxXm9ohfph%2FmMiJXezvw%3D&se=1795530603&skn=RootManageSharedAccessKey',
    );
  });

  it('when signing fixed inputs, then sig is the HMAC-SHA256 of the encoded resource, a line feed and se, keyed by the UTF-8 key', () => {
    const resourceUri = 'sb://ns.servicebus.windows.net/telemetry/publishers/sensor-123';
    const key = 'pässword+/=';
    const token = signSas({ resourceUri, keyName: 'gateway send', key, expiresAt: 1700000900 });
    const encoded = 'sb%3A%2F%2Fns.servicebus.windows.net%2Ftelemetry%2Fpublishers%2Fsensor-123';
    const expected = createHmac('sha256', Buffer.from('70c3a47373776f72642b2f3d', 'hex'))
      .update(`${encoded}\n1700000900`)
      .digest('base64');
    expect(token).toBe(
      `SharedAccessSignature sr=${encoded}&sig=${encodeURIComponent(expected)}&se=1700000900&skn=gateway%20send`,
    );
  });

  it("when the clock is frozen, then the token equals the one the SDK's own provider mints", async () => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    try {
      const audience = 'sb://localhost:5672/telemetry';
      const sdk = await createSasTokenProvider({ name: 'gateway-send', key: 'k3y' }).getToken(audience);
      // The SDK always signs for now + 3600 s.
      const ours = signSas({
        resourceUri: audience,
        keyName: 'gateway-send',
        key: 'k3y',
        expiresAt: sdk.expiresOnTimestamp,
      });
      expect(sdk.expiresOnTimestamp).toBe(Date.parse('2030-01-01T01:00:00Z') / 1000);
      expect(ours).toBe(sdk.token);
    } finally {
      jest.useRealTimers();
    }
  });

  it('when expiry is not positive integer seconds, then it throws', () => {
    expect(() => signSas({ resourceUri: 'sb://x/h', keyName: 'n', key: 'k', expiresAt: 1.5 })).toThrow(
      RangeError,
    );
    expect(() => signSas({ resourceUri: 'sb://x/h', keyName: 'n', key: 'k', expiresAt: 0 })).toThrow(
      RangeError,
    );
  });
});
