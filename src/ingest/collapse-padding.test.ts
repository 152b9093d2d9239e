import { GatewayError } from '../errors';
import { createPaddingCollapser, expandPadding } from './collapse-padding';
import { parseBody, type BodyFormat } from './parse-body';

/** `text` through a collapser in chunks of `chunkBytes`. */
function collapse(text: string, format: BodyFormat, chunkBytes = 1 << 16): Buffer {
  const bytes = Buffer.from(text);
  const collapser = createPaddingCollapser(format);
  for (let at = 0; at < bytes.length; at += chunkBytes)
    collapser.push(Buffer.from(bytes.subarray(at, at + chunkBytes)));
  return collapser.finish();
}

function errorOf(body: Buffer, format: BodyFormat): GatewayError {
  try {
    parseBody(body, format);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected parseBody to throw');
}

const events = (body: Buffer, format: BodyFormat) =>
  parseBody(body, format).map((e) => ({ value: e.value, raw: e.raw.toString('utf8') }));

const pad = (n: number, lineEvery = 0) =>
  Array.from({ length: n }, (_, i) =>
    lineEvery > 0 && i % lineEvery === 0 ? '\n' : i % 7 ? ' ' : '\t',
  ).join('');

describe('createPaddingCollapser', () => {
  const reading = (i: number) =>
    `{"sensor_id": "s-${i}",  "note": "a    b\\"  ${' '.repeat(100)}", "v": [1,   2]}`;
  const padded = `${pad(5000, 300)}[${reading(0)}${pad(100_000, 999)},${pad(3000)}${reading(1)},${reading(2)}${pad(70_000)}]${pad(9000, 50)}`;

  it('when an array is padded between its elements, then it parses to the same events with the same bytes, at a fraction of the size', () => {
    const collapsed = collapse(padded, 'json');
    expect(collapsed.length).toBeLessThan(2000);
    expect(events(collapsed, 'json')).toEqual(events(Buffer.from(padded), 'json'));
  });

  it('when the chunks are cut anywhere, then the collapsed body is the same', () => {
    const whole = collapse(padded, 'json');
    for (const size of [1, 7, 64, 65, 1000]) expect(collapse(padded, 'json', size).equals(whole)).toBe(true);
  });

  it('when whitespace is inside an event (between its tokens or in a string), then it is kept byte for byte', () => {
    const inside = `[{"a":${pad(500)}1, "s": "${' '.repeat(500)}"}]`;
    expect(collapse(inside, 'json').toString()).toBe(inside);
    const object = `${pad(4000)}{"a":${pad(300)}1}${pad(4000)}`;
    expect(events(collapse(object, 'json'), 'json')).toEqual([
      { value: { a: 1 }, raw: `{"a":${pad(300)}1}` },
    ]);
  });

  it('when NDJSON lines are padded with blank lines and spaces, then the same lines are events', () => {
    const ndjson = `${reading(0)}${pad(20_000, 100)}\n${reading(1)}   ${pad(5000)}\n${pad(3000, 1)}${reading(2)}`;
    const collapsed = collapse(ndjson, 'ndjson', 333);
    expect(collapsed.length).toBeLessThan(1000);
    expect(events(collapsed, 'ndjson')).toEqual(events(Buffer.from(ndjson), 'ndjson'));
  });

  it('when a padded body is malformed, then the 400 names the same line, column and position as for the body sent', () => {
    const cases: [string, BodyFormat][] = [
      [`[${reading(0)}${pad(9000, 70)} ${reading(1)}]`, 'json'], // missing comma after padding
      [`[${reading(0)}]${pad(9000, 70)}x`, 'json'], // trailing garbage after padding
      [`[${reading(0)},${pad(9000, 70)}]`, 'json'], // trailing comma
      [`${reading(0)}\n${pad(9000, 70)}\n{"a": }`, 'ndjson'],
      [`${pad(9000, 70)}{"a": 1`, 'json'], // ends early
    ];
    for (const [text, format] of cases) {
      const collapsed = collapse(text, format, 4096);
      expect(collapsed.length).toBeLessThan(text.length);
      const expected = errorOf(Buffer.from(text), format);
      const actual = errorOf(collapsed, format);
      expect({ code: actual.code, message: actual.message, extensions: actual.extensions }).toEqual({
        code: expected.code,
        message: expected.message,
        extensions: expected.extensions,
      });
    }
  });

  it('when nothing was long enough to drop, then the body is its chunk, untouched, and expands to itself', () => {
    const chunk = Buffer.from(`[${reading(0)},\n  ${reading(1)}]`);
    const collapser = createPaddingCollapser('json');
    collapser.push(chunk);
    const body = collapser.finish();
    expect(body).toBe(chunk);
    expect(expandPadding(body)).toBe(body);
  });
});
