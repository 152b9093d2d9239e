import { addKey, KeyFileError, parseKeyFile, revokeKey, serializeKeyFile } from './key-file';

const HASH = 'a'.repeat(64);

describe('parseKeyFile', () => {
  it('when the file is valid, then entries come back with their grants', () => {
    const file = parseKeyFile(
      JSON.stringify({
        keys: [
          {
            id: 'fleet-a',
            sha256: HASH,
            scopes: ['events:write', 'tokens:issue'],
            eventTypes: ['telemetry'],
            sensors: ['plant-a/*'],
            tokens: { publishers: ['plant-a-*'], hub: ['send'], maxTtlSeconds: 600 },
            createdAt: '2030-01-01T00:00:00.000Z',
          },
        ],
      }),
      'keys.json',
    );
    expect(file.keys[0]).toMatchObject({ id: 'fleet-a', tokens: { hub: ['send'], maxTtlSeconds: 600 } });
    expect(parseKeyFile(serializeKeyFile(file), 'again')).toEqual(file);
  });

  it('when the file has several problems, then all are reported at once by path', () => {
    const text = JSON.stringify({
      keys: [
        { id: 'a', sha256: 'secret-not-hash', scopes: ['admin'], sensors: ['x*y'], extra: 1 },
        {
          id: 'b',
          sha256: HASH,
          scopes: [],
          tokens: { publishers: ['plant-a/*'], hub: ['manage'], maxTtlSeconds: -1 },
        },
        { id: 'b', sha256: 'b'.repeat(64), scopes: [] },
      ],
    });
    let error: unknown;
    try {
      parseKeyFile(text, 'keys.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeyFileError);
    const problems = (error as KeyFileError).problems.join('\n');
    expect(problems).toMatch(/keys\[0\]\.extra is not a known field/);
    expect(problems).toMatch(/keys\[0\]\.sha256/);
    expect(problems).toMatch(/keys\[0\]\.scopes has unknown value\(s\) admin/);
    expect(problems).toMatch(/keys\[0\]\.sensors\[0\]/);
    expect(problems).toMatch(/keys\[1\]\.tokens\.publishers\[0\].*'\/'/);
    expect(problems).toMatch(/keys\[1\]\.tokens\.hub/);
    expect(problems).toMatch(/keys\[1\]\.tokens\.maxTtlSeconds/);
    expect(problems).toMatch(/id "b" appears more than once/);
    // The bad value itself (could be a pasted secret) is not echoed.
    expect((error as Error).message).not.toContain('secret-not-hash');
  });

  it('when the text is not JSON or has no keys array, then it says so', () => {
    expect(() => parseKeyFile('{', 'f')).toThrow(/not valid JSON/);
    expect(() => parseKeyFile('{"key":[]}', 'f')).toThrow(/"keys" array/);
  });
});

describe('addKey / revokeKey', () => {
  const entry = { id: 'k1', sha256: HASH, scopes: ['events:write'] as const, eventTypes: [], sensors: [] };
  it('when adding a duplicate id, then it refuses; when revoking, then the key is gone', () => {
    const one = addKey({ keys: [] }, entry);
    expect(() => addKey(one, { ...entry, sha256: 'b'.repeat(64) })).toThrow(/already exists/);
    expect(revokeKey(one, 'k1').keys).toEqual([]);
    expect(() => revokeKey(one, 'nope')).toThrow(/no key/);
  });
});
