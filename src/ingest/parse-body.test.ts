import { GatewayError } from '../errors';
import { parseBody, splitArray } from './parse-body';

const raw = (body: string, format: 'json' | 'ndjson' = 'json') =>
  parseBody(Buffer.from(body), format).map((e) => e.raw.toString('utf8'));

function errorOf(body: string, format: 'json' | 'ndjson' = 'json'): GatewayError {
  try {
    parseBody(Buffer.from(body), format);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected parseBody to throw');
}

describe('parseBody', () => {
  it('when the body is one object, then it is one event with the trimmed body bytes', () => {
    const events = parseBody(Buffer.from('  {"a": 1}\n'), 'json');
    expect(events).toHaveLength(1);
    expect(events[0]?.value).toEqual({ a: 1 });
    expect(events[0]?.raw.toString()).toBe('{"a": 1}');
  });

  it('when the body is an array, then each element keeps its own bytes exactly as sent', () => {
    const body = '[ {"s":"x,]}\\"{"} ,\n{"b" : [1, {"c": "é€"}]},{} ]';
    expect(raw(body)).toEqual(['{"s":"x,]}\\"{"}', '{"b" : [1, {"c": "é€"}]}', '{}']);
    expect(parseBody(Buffer.from(body), 'json').map((e) => e.value)).toEqual(JSON.parse(body));
  });

  it('when the body is NDJSON, then blank lines and CRLF are tolerated and each line is an event', () => {
    expect(raw('{"a":1}\r\n\n  {"b":2}  \n{"c":3}', 'ndjson')).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('when JSON is malformed, then the 400 names line, column and position', () => {
    const error = errorOf('{\n  "a": 1,\n  "b": }');
    expect(error.code).toBe('GW_ERR_BAD_JSON');
    expect(error.extensions).toEqual({ line: 3, column: 8, position: 19 });
    expect(error.message).toContain('line 3, column 8');
  });

  it('when an NDJSON line is malformed, then the line of the body is named', () => {
    const error = errorOf('{"a":1}\n{"b":2}\n  {"c":', 'ndjson');
    expect(error.code).toBe('GW_ERR_BAD_JSON');
    expect(error.extensions).toMatchObject({ line: 3, column: 8, position: 23 });
  });

  it('when the body ends early, then the position is the end of input', () => {
    expect(errorOf('[{"a":1}').extensions).toMatchObject({ line: 1, column: 9, position: 8 });
  });

  it('when the body is empty, an empty array or a bare value, then it is a 400 bad request', () => {
    expect(errorOf('[]').code).toBe('GW_ERR_BAD_REQUEST');
    expect(errorOf('', 'ndjson').code).toBe('GW_ERR_BAD_REQUEST');
    expect(errorOf('42').code).toBe('GW_ERR_BAD_REQUEST');
    expect(errorOf('').code).toBe('GW_ERR_BAD_JSON');
  });

  it('when a UTF-8 BOM leads the body, then it is ignored', () => {
    expect(raw('\uFEFF{"a":1}')).toEqual(['{"a":1}']);
  });

  it('when a key is __proto__, then it stays an own property and pollutes nothing', () => {
    const [event] = parseBody(Buffer.from('{"__proto__": {"polluted": true}}'), 'json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(event?.value, '__proto__')).toBe(true);
  });
});

describe('parseBody limits', () => {
  it('when an array holds more events than the cap, then 413 before anything is parsed', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const body = Buffer.from(`[${Array.from({ length: 350_000 }, () => '{}').join(',')}]`);
      expect(() => parseBody(body, 'json', 1000)).toThrow(
        expect.objectContaining({ code: 'GW_ERR_TOO_MANY_EVENTS', status: 413, extensions: { limit: 1000 } }),
      );
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(parseBody(Buffer.from('[{},{},{}]'), 'json', 3)).toHaveLength(3);
    expect(() => parseBody(Buffer.from('[{},{},{},{}]'), 'json', 3)).toThrow('more than 3 events');
  });

  it('when NDJSON holds more lines than the cap, then 413 after parsing only the first cap lines', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const body = Buffer.from(Array.from({ length: 100_000 }, () => '{}').join('\n'));
      expect(() => parseBody(body, 'ndjson', 1000)).toThrow(
        expect.objectContaining({ code: 'GW_ERR_TOO_MANY_EVENTS' }),
      );
      expect(parse).toHaveBeenCalledTimes(1000);
    } finally {
      parse.mockRestore();
    }
    expect(parseBody(Buffer.from('{}\n\n{}\n'), 'ndjson', 2)).toHaveLength(2);
  });

  it('when a small reading sits in a big body, then its bytes are copied out and the body is not kept', () => {
    const body = Buffer.from(`[{"a":1}${' '.repeat(1 << 20)}]`);
    const [event] = parseBody(body, 'json');
    expect(event?.raw.toString()).toBe('{"a":1}');
    expect(event?.raw.buffer).not.toBe(body.buffer);
    expect(event?.raw.buffer.byteLength).toBe(7);
  });

  it('when the events fill their body, then they stay views of it (no copy)', () => {
    const text = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i, pad: 'x'.repeat(50) })));
    const own = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    own.write(text);
    const events = parseBody(own, 'json');
    expect(events).toHaveLength(200);
    for (const event of events) expect(event.raw.buffer).toBe(own.buffer);
  });
});

describe('splitArray', () => {
  it('when elements are primitives and nested arrays, then the split matches JSON.parse', () => {
    const text = '[1, "a\\\\", [2, [3]], null, {"x": "]"}]';
    expect(splitArray(Buffer.from(text)).map((b) => JSON.parse(b.toString()) as unknown)).toEqual(
      JSON.parse(text),
    );
  });
});

describe('splitArray with strings full of quotes, backslashes and brackets', () => {
  it('when escaped quotes and backslash runs end strings, then the split matches JSON.parse', () => {
    const text = String.raw`[{"a":"x\"},{"}, "\\", "\\\"]", {"b":"\\\\"}, "é\u0022,", ["]\\\"\\"]]`;
    expect(splitArray(Buffer.from(text)).map((b) => JSON.parse(b.toString()) as unknown)).toEqual(
      JSON.parse(text),
    );
  });

  it('when 500 random arrays are split, then every element is the one JSON.parse finds', () => {
    const alphabet = ['"', '\\', ',', ']', '[', '}', '{', 'a', ' ', 'é', '\n', '€'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = (): string =>
      Array.from({ length: random(12) }, () => alphabet[random(alphabet.length)]!).join('');
    for (let round = 0; round < 500; round++) {
      const elements = Array.from({ length: 1 + random(6) }, () =>
        random(2) === 0 ? { [text()]: text(), n: [text(), { deep: text() }] } : text(),
      );
      const body = Buffer.from(JSON.stringify(elements, null, random(2) === 0 ? 0 : 1));
      expect(splitArray(body).map((b) => JSON.parse(b.toString()) as unknown)).toEqual(elements);
    }
  });
});
