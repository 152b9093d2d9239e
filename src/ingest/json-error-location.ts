/**
 * Where a JSON text goes wrong, for the 400 answer's "line 3, column 14". Node 20's `JSON.parse`
 * names no position, so on the error path (only there: the happy path is `JSON.parse` alone) this
 * small recursive-descent checker walks the text to the first offending character.
 */

export interface JsonErrorLocation {
  /** 0-based character offset into the text. */
  readonly position: number;
  /** 1-based line and column (column counts characters). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Internal signal carrying where the walk stopped; never leaves this module. */
class Fail extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
}

/** The first syntax error in `text`, or undefined when it is valid JSON (or too deep to walk). */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const at = (): string => text.charAt(i);
  const unexpected = (): Fail =>
    i >= text.length
      ? new Fail(i, 'unexpected end of input')
      : new Fail(i, `unexpected character ${JSON.stringify(at())}`);
  const ws = (): void => {
    while (i < text.length && (at() === ' ' || at() === '\t' || at() === '\n' || at() === '\r')) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (at() !== ch) throw unexpected();
      i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(at())) throw unexpected();
    while (/[0-9]/.test(at())) i++;
  };
  const number = (): void => {
    if (at() === '-') i++;
    if (at() === '0') i++;
    else digits();
    if (at() === '.') {
      i++;
      digits();
    }
    if (at() === 'e' || at() === 'E') {
      i++;
      if (at() === '+' || at() === '-') i++;
      digits();
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Fail(i, 'unterminated string');
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) throw new Fail(i, 'control character in string');
      if (code === 0x5c) {
        i++;
        const escape = at();
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Fail(i, 'invalid \\u escape');
          i += 5;
        } else if ('"\\/bfnrt'.includes(escape) && escape !== '') {
          i++;
        } else {
          throw new Fail(i, 'invalid escape');
        }
      } else {
        i++;
      }
    }
  };
  const value = (): void => {
    ws();
    const ch = at();
    if (ch === '{') {
      i++;
      ws();
      if (at() === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (at() !== '"')
          throw new Fail(i, at() === '' ? 'unexpected end of input' : 'expected a property name');
        string();
        ws();
        if (at() !== ':') throw new Fail(i, "expected ':'");
        i++;
        value();
        ws();
        if (at() === ',') {
          i++;
          continue;
        }
        if (at() === '}') {
          i++;
          return;
        }
        throw new Fail(i, i >= text.length ? 'unexpected end of input' : "expected ',' or '}'");
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (at() === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (at() === ',') {
          i++;
          continue;
        }
        if (at() === ']') {
          i++;
          return;
        }
        throw new Fail(i, i >= text.length ? 'unexpected end of input' : "expected ',' or ']'");
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch >= '0' && ch <= '9' && ch !== '')) return number();
    throw unexpected();
  };

  try {
    value();
    ws();
    if (i < text.length)
      throw new Fail(i, `unexpected character ${JSON.stringify(at())} after the JSON value`);
    return undefined;
  } catch (error) {
    if (!(error instanceof Fail)) return undefined; // e.g. RangeError on absurd nesting
    return { ...lineAndColumn(text, error.position), position: error.position, message: error.message };
  }
}

/** 1-based line and column of a 0-based character offset. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < position; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: position - lineStart + 1 };
}
