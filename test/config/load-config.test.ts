import { ConfigError, loadConfig } from '../../src/config/load-config';

const CS = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('when the environment is empty, then the defaults target the embedded emulator', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      port: 8080,
      host: '127.0.0.1',
      maxBodyBytes: 1048576,
      requestDeadlineMs: 10000,
      maxEventsPerRequest: 1000,
      maxInflationRatio: 200,
    });
    expect(config.target).toEqual({
      kind: 'embedded-emulator',
      port: 5672,
      eventHubName: 'telemetry',
      hubs: [
        { name: 'telemetry', partitionCount: 4 },
        { name: 'dead-letter', partitionCount: 2 },
      ],
    });
    expect(config.ingest.deadLetterHub).toBe('dead-letter');
    expect(config.batching.maxBufferedBytes).toBe(64 * 1024 * 1024);
    expect(config.log).toEqual({ level: 'info', pretty: true });
  });

  it('when loaded, then the object is deeply frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.batching.retry)).toBe(true);
  });

  it('when several variables are bad, then every one is named in one error', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      LINGER_MS: '-1',
      MAX_BODY_BYTES: '1.5',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'LINGER_MS',
      'MAX_BODY_BYTES',
      'LOG_LEVEL',
    ]);
    expect(problems.join('\n')).toContain('LOG_LEVEL: must be one of fatal, error');
  });

  it('when the connection string is malformed, then it is named but its value is not echoed', () => {
    const problems = problemsOf({ EVENTHUB_CONNECTION_STRING: 'SharedAccessKey=topsecret', PORT: 'x' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('EVENTHUB_CONNECTION_STRING');
    expect(problems.join('\n')).not.toContain('topsecret');
  });

  it('when a connection string has no EntityPath and no EVENTHUB_NAME, then EVENTHUB_NAME is required', () => {
    expect(problemsOf({ EVENTHUB_CONNECTION_STRING: CS })).toEqual([
      'EVENTHUB_NAME: required when the connection string has no EntityPath',
    ]);
    expect(loadConfig({ EVENTHUB_CONNECTION_STRING: `${CS};EntityPath=hub` }).target).toEqual({
      kind: 'connection-string',
      connectionString: `${CS};EntityPath=hub`,
      eventHubName: 'hub',
    });
  });

  it('when a namespace is set, then EVENTHUB_NAME is required and both targets together are refused', () => {
    expect(problemsOf({ EVENTHUB_FULLY_QUALIFIED_NAMESPACE: 'ns.servicebus.windows.net' })[0]).toMatch(
      /^EVENTHUB_NAME/,
    );
    expect(
      loadConfig({ EVENTHUB_FULLY_QUALIFIED_NAMESPACE: 'ns.servicebus.windows.net', EVENTHUB_NAME: 'hub' })
        .target,
    ).toEqual({
      kind: 'azure-identity',
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      eventHubName: 'hub',
    });
    expect(
      problemsOf({
        EVENTHUB_CONNECTION_STRING: `${CS};EntityPath=hub`,
        EVENTHUB_FULLY_QUALIFIED_NAMESPACE: 'ns',
      })[0],
    ).toMatch(/not both/);
  });

  it('when the retry cap is below the first delay, then the contradiction is named', () => {
    expect(problemsOf({ SEND_RETRY_DELAY_MS: '500', SEND_RETRY_MAX_DELAY_MS: '100' })[0]).toMatch(
      /^SEND_RETRY_MAX_DELAY_MS/,
    );
  });

  it('when a variable is empty, then it counts as unset', () => {
    const production = {
      NODE_ENV: 'production',
      EVENTHUB_CONNECTION_STRING: `${CS};EntityPath=hub`,
      API_KEYS_FILE: '/keys.json',
    };
    expect(loadConfig({ ...production, PORT: '' }).http.port).toBe(8080);
  });
});
