import { parseJsonSafely, UnsafeJsonError } from './safe-json';

describe('parseJsonSafely', () => {
  it('when the JSON is ordinary, then it equals JSON.parse', () => {
    const text = '[{"sensor":"s-1","value":21.5,"tags":["a"]},{"constructor":"ok-as-a-string"}]';
    expect(parseJsonSafely(text)).toEqual(JSON.parse(text));
    expect(parseJsonSafely('42')).toBe(42);
  });

  it('when malformed, then SyntaxError like JSON.parse', () => {
    expect(() => parseJsonSafely('{"a":')).toThrow(SyntaxError);
  });

  it('when an object has a __proto__ key at any depth, then it is refused', () => {
    expect(() => parseJsonSafely('{"__proto__":{"polluted":true}}')).toThrow(UnsafeJsonError);
    expect(() => parseJsonSafely('[{"a":{"b":[{"__proto__":{"x":1}}]}}]')).toThrow(/__proto__/);
  });

  it('when the key is spelled with a unicode escape, then it is still refused', () => {
    expect(() => parseJsonSafely('{"\\u005f_proto__":{"polluted":true}}')).toThrow(UnsafeJsonError);
  });

  it('when constructor.prototype is present, then it is refused', () => {
    expect(() => parseJsonSafely('{"constructor":{"prototype":{"polluted":true}}}')).toThrow(
      /constructor\.prototype/,
    );
  });

  it('when a refused body is later merged, then Object.prototype stays clean (regression guard)', () => {
    try {
      parseJsonSafely('{"__proto__":{"pollutedBySafeJson":true}}');
    } catch {
      // expected
    }
    expect(({} as Record<string, unknown>).pollutedBySafeJson).toBeUndefined();
  });
});
