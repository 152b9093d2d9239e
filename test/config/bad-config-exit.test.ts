/** A bad environment stops the real entry point with a message naming each variable, exit code 1. */
import { spawnGateway } from '../support/spawn-gateway';

describe('npm start with a bad environment', () => {
  it('when variables are invalid, then the process exits 1 naming every bad variable and no secret', async () => {
    const gateway = spawnGateway({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      EVENTHUB_CONNECTION_STRING: 'SharedAccessKey=do-not-print-me',
    });
    expect(await gateway.exited).toBe(1);
    const stderr = gateway.stderr();
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toMatch(/PORT: must be integer/);
    expect(stderr).toMatch(/LOG_LEVEL: must be one of/);
    expect(stderr).toMatch(/EVENTHUB_CONNECTION_STRING: must be/);
    expect(stderr).not.toContain('do-not-print-me');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('when the event types folder does not exist, then EVENT_TYPES_DIR is named', async () => {
    const gateway = spawnGateway({ EVENT_TYPES_DIR: '/nonexistent/schemas', EMULATOR_PORT: '0', PORT: '0' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toMatch(/EVENT_TYPES_DIR: cannot read folder/);
  });
});
