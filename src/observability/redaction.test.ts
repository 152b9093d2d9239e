import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED, redactSecrets, redactionLoggerOptions } from './redaction';

const SIG = 'k1q2w3e4r5t6y7u8i9o0pAsDfGhJkL%2B%3D';
const SAS = `SharedAccessSignature sr=sb%3A%2F%2Fns.servicebus.windows.net%2Fhub&sig=${SIG}&se=1900000000&skn=gateway-send`;
const ACCOUNT_KEY = 'ZGV2LW9ubHktc2VuZC1rZXktZm9yLXRoZS1sb2NhbC1lbXVsYXRvcg==';
const CONNECTION_STRING = `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=gateway-send;SharedAccessKey=${ACCOUNT_KEY};EntityPath=hub`;
const API_KEY = 'gw_live_0123456789abcdefABCDEF';

describe('redactSecrets', () => {
  it('when a SAS token appears in a message, then the whole token is gone', () => {
    const out = redactSecrets(`CBS put-token failed for ${SAS} (expired)`);
    expect(out).toBe(`CBS put-token failed for SharedAccessSignature ${REDACTED} (expired)`);
  });

  it('when a signature appears in a query string, then only its value is replaced', () => {
    const out = redactSecrets(`GET https://ns.blob.core.windows.net/c?sv=2022&sig=${SIG}&se=1`);
    expect(out).toBe(`GET https://ns.blob.core.windows.net/c?sv=2022&sig=${REDACTED}&se=1`);
  });

  it('when a connection string is dumped, then the key is replaced and the rest stays', () => {
    const out = redactSecrets(CONNECTION_STRING);
    expect(out).toBe(
      `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=gateway-send;SharedAccessKey=${REDACTED};EntityPath=hub`,
    );
  });

  it('when a bearer or basic credential is quoted, then it is replaced', () => {
    expect(redactSecrets(`header was Bearer ${API_KEY}.`)).not.toContain(API_KEY);
    expect(redactSecrets('authorization: basic dXNlcjpwYXNz')).toBe(`authorization: basic ${REDACTED}`);
  });

  it('when an API key header is quoted in free text or JSON, then it is replaced', () => {
    expect(redactSecrets(`x-api-key: ${API_KEY}`)).toBe(`x-api-key: ${REDACTED}`);
    expect(redactSecrets(`{"x-api-key":"${API_KEY}"}`)).toBe(`{"x-api-key":"${REDACTED}"}`);
    expect(redactSecrets(`apiKey=${API_KEY}&x=1`)).toBe(`apiKey=${REDACTED}&x=1`);
  });

  it('when a gateway API key appears anywhere, then it is recognised by its prefix', () => {
    const key = 'ehgw_' + 'Ab3_-x'.repeat(7) + 'Q';
    expect(redactSecrets(`key file entry for ${key} revoked`)).toBe(
      `key file entry for ehgw_${REDACTED} revoked`,
    );
  });

  it('when the text is JSON-escaped, then the redaction stops at the escape', () => {
    const line = JSON.stringify({ msg: `token "${SAS}" rejected` });
    const out = redactSecrets(line);
    expect(out).not.toContain(SIG);
    expect(JSON.parse(out)).toEqual({ msg: `token "SharedAccessSignature ${REDACTED}" rejected` });
  });

  it('when a WWW-Authenticate challenge is logged, then its auth-params stay readable', () => {
    expect(redactSecrets('Bearer realm="gateway", error="invalid_token"')).toBe(
      'Bearer realm="gateway", error="invalid_token"',
    );
  });

  it('when the text holds no secret, then it is returned unchanged (same string)', () => {
    const text = '{"level":30,"msg":"request completed","res":{"statusCode":202}}';
    expect(redactSecrets(text)).toBe(text);
  });

  it('when redacting twice, then the result does not change', () => {
    const once = redactSecrets(`${SAS} ${CONNECTION_STRING} Bearer ${API_KEY}`);
    expect(redactSecrets(once)).toBe(once);
  });
});

describe('redactionLoggerOptions', () => {
  function capture(): { lines: string[]; logger: pino.Logger } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { lines, logger: pino(redactionLoggerOptions(), stream) };
  }

  it('when headers, errors and config dumps are logged, then no secret reaches the stream', () => {
    const { lines, logger } = capture();
    logger.info(
      { req: { headers: { authorization: `Bearer ${API_KEY}`, 'x-api-key': API_KEY, cookie: 'sid=abc' } } },
      'incoming',
    );
    logger.error({ err: new Error(`send failed with ${SAS}`) }, 'send failed');
    logger.info({ config: { eventHubs: { connectionString: CONNECTION_STRING } } }, 'config');
    logger.info(`connecting with ${CONNECTION_STRING}`);
    const all = lines.join('');
    for (const secret of [API_KEY, SIG, ACCOUNT_KEY, 'sid=abc']) expect(all).not.toContain(secret);
    expect(all).toContain(REDACTED);
    expect(lines).toHaveLength(4);
  });
});
