/**
 * `.env` in the working directory is read by the real entry point; variables of the real
 * environment win over it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvFile, withEnvFile } from '../../src/config/env-file';
import { REPO_ROOT } from '../support/harness';
import { spawnGateway } from '../support/spawn-gateway';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'env-file-'));
  writeFileSync(
    join(dir, '.env'),
    [
      '# what a copied .env.example looks like, edited',
      'NODE_ENV=production',
      `EVENT_TYPES_DIR="${join(REPO_ROOT, 'schemas')}"`,
      'PORT=0',
      'EMULATOR_PORT=0',
      'LOG_LEVEL=',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.env', () => {
  it('when .env sets NODE_ENV=production, then the entry point reads it and fails closed', async () => {
    const gateway = spawnGateway({}, { cwd: dir });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toMatch(/^\{.*"settings":\["EVENTHUB_CONNECTION_STRING"/);
  });

  it('when the real environment sets a variable, then it wins over .env', async () => {
    const gateway = spawnGateway({ NODE_ENV: 'test' }, { cwd: dir });
    try {
      expect(await gateway.listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    }
  });

  it('when there is no .env, then nothing is added; an empty real value still wins', () => {
    expect(readEnvFile(join(dir, 'missing.env'))).toBeUndefined();
    expect(withEnvFile({ A: '', C: '3' }, { A: '1', B: '2' })).toEqual({ A: '', B: '2', C: '3' });
  });
});
