/** `npm run keys`: the key is printed once, only its hash is stored, and the gateway accepts it. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeyStore } from '../../src/auth/load-key-store';
import { run } from '../../src/tools/keys';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keys-tool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runTool = (...args: string[]): string[] => {
  const out: string[] = [];
  run(
    args,
    (line) => out.push(line),
    () => new Date('2030-01-01T00:00:00Z'),
  );
  return out;
};

describe('keys tool', () => {
  it('when a key is created, then it is printed once, the file holds only its hash, and the store accepts it', () => {
    const file = join(dir, 'keys.json');
    const out = runTool(
      'create',
      '--id',
      'sensor-17',
      '--scopes',
      'events:write,tokens:issue',
      '--types',
      'telemetry',
      '--sensors',
      'sensor-17',
      '--publishers',
      'sensor-17',
      '--hub',
      'send',
      '--max-ttl',
      '600',
      '--file',
      file,
    );
    const key = out[1]!;
    expect(key).toMatch(/^ehgw_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(5));
    expect(statSync(file).mode & 0o077).toBe(0);
    const principal = loadKeyStore({ file, developmentMode: false }).lookup(key);
    expect(principal?.keyId).toBe('sensor-17');
    expect(principal?.tokens.maxTtlSeconds).toBe(600);
    expect(principal?.tokens.hub.has('send')).toBe(true);
  });

  it('when the id exists, then create refuses; list shows grants without secrets; revoke removes the key', () => {
    const file = join(dir, 'keys.json');
    const key = runTool(
      'create',
      '--id',
      'a',
      '--scopes',
      'events:write',
      '--types',
      'telemetry',
      '--sensors',
      'plant-a/*',
      '--file',
      file,
    )[1]!;
    expect(() =>
      runTool(
        'create',
        '--id',
        'a',
        '--scopes',
        'events:write',
        '--types',
        '*',
        '--sensors',
        '*',
        '--file',
        file,
      ),
    ).toThrow(/already exists/);
    const listed = runTool('list', '--file', file).join('\n');
    expect(listed).toContain('sensors=plant-a/*');
    expect(listed).not.toContain(key);
    runTool('revoke', '--id', 'a', '--file', file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ keys: [] });
  });

  it('when arguments are wrong, then it explains', () => {
    const file = join(dir, 'keys.json');
    expect(() => runTool('create', '--scopes', 'events:write', '--file', file)).toThrow(/--id/);
    expect(() => runTool('create', '--id', 'x', '--scopes', 'admin', '--file', file)).toThrow(
      /unknown admin/,
    );
    expect(() =>
      runTool('create', '--id', 'x', '--scopes', 'tokens:issue', '--publishers', 'plant-a/*', '--file', file),
    ).toThrow(/'\/'/);
    expect(() => runTool('frobnicate')).toThrow(/usage/);
  });

  it('when --types names an event type that does not exist, then create refuses and names the known ones', () => {
    const file = join(dir, 'keys.json');
    const create = (types: string, typesDir?: string) => () =>
      runTool(
        'create',
        '--id',
        'typo',
        '--scopes',
        'events:write',
        '--types',
        types,
        '--sensors',
        '*',
        '--file',
        file,
        ...(typesDir === undefined ? [] : ['--types-dir', typesDir]),
      );
    expect(create('telemtry')).toThrow(/--types: no event type telemtry in .*schemas; known: telemetry/);
    expect(create('telemetry,nope-*')).toThrow(/no event type nope-\*/);
    // The folder comes from EVENT_TYPES_DIR / --types-dir: a type that exists elsewhere is unknown here.
    expect(create('telemetry', dir)).toThrow(/known: \(none\)/);
    expect(existsSync(file)).toBe(false);
    expect(create('tele*')).not.toThrow();
  });

  it('when an events:write key names no sensors, then create refuses; all sensors must be an explicit *', () => {
    const file = join(dir, 'keys.json');
    const create =
      (...extra: string[]) =>
      () =>
        runTool(
          'create',
          '--id',
          'k',
          '--scopes',
          'events:write',
          '--types',
          'telemetry',
          ...extra,
          '--file',
          file,
        );
    expect(create()).toThrow(/needs --sensors: .*'\*' for every sensor/);
    expect(create('--sensors', ' , ')).toThrow(/needs --sensors/);
    expect(existsSync(file)).toBe(false);
    expect(() =>
      runTool('create', '--id', 'k', '--scopes', 'events:write', '--sensors', '*', '--file', file),
    ).toThrow(/needs --types/);
    expect(create('--sensors', '*')).not.toThrow();
    expect(runTool('list', '--file', file).join('\n')).toContain('sensors=*');
    // A token-only key writes no events, so it needs neither.
    expect(() =>
      runTool('create', '--id', 't', '--scopes', 'tokens:issue', '--publishers', 'p-*', '--file', file),
    ).not.toThrow();
  });

  it('when the sensors pattern is outside the safe set, then create refuses', () => {
    const file = join(dir, 'keys.json');
    expect(() =>
      runTool(
        'create',
        '--id',
        'k',
        '--scopes',
        'events:write',
        '--types',
        'telemetry',
        '--sensors',
        'plant-a/../*',
        '--file',
        file,
      ),
    ).toThrow(/ASCII/);
  });
});
