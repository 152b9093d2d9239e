/**
 * Request body bytes → events, each with its parsed value and its own bytes as received. The
 * bytes matter: the hub gets each event's JSON exactly as the device sent it (byte for byte), not
 * a re-serialisation. A JSON body is parsed once with `JSON.parse`; for an array, one byte scan
 * finds where each element starts and ends, so slicing costs no copy. NDJSON is one parse a line.
 * Pure; throws `GatewayError` (400) naming line, column and position on malformed input.
 */
import { GatewayError } from '../errors';
import { lineAndColumn, locateJsonError } from './json-error-location';

export type BodyFormat = 'json' | 'ndjson';

export interface ParsedEvent {
  readonly value: unknown;
  /** The event's JSON bytes as received (surrounding whitespace trimmed); a view, not a copy. */
  readonly raw: Buffer;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

export function parseBody(body: Buffer, format: BodyFormat): ParsedEvent[] {
  const events = format === 'json' ? parseJson(body) : parseNdjson(body);
  if (events.length === 0) throw new GatewayError('GW_ERR_BAD_REQUEST', 'The body holds no events.');
  return events;
}

function parseJson(body: Buffer): ParsedEvent[] {
  const untrimmed = withoutBom(body);
  const text = untrimmed.toString('utf8'); // untrimmed, so error lines and columns match the body
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badJson(text, error, 0, 0);
  }
  const bytes = trim(untrimmed, 0, untrimmed.length);
  if (Array.isArray(value)) {
    const raws = splitArray(bytes);
    // The scan and JSON.parse read the same valid text, so they agree; guard anyway.
    if (raws.length !== value.length) throw new GatewayError('GW_ERR_INTERNAL', 'Array split mismatch.');
    return value.map((element: unknown, index) => ({ value: element, raw: raws[index] as Buffer }));
  }
  if (typeof value === 'object' && value !== null) return [{ value, raw: bytes }];
  throw new GatewayError(
    'GW_ERR_BAD_REQUEST',
    'The body must be a JSON object (one event) or a JSON array of objects (a batch).',
  );
}

function parseNdjson(body: Buffer): ParsedEvent[] {
  const bytes = withoutBom(body);
  const events: ParsedEvent[] = [];
  let lineNumber = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    lineNumber++;
    const line = trim(bytes, start, end);
    if (line.length > 0) {
      const text = line.toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        // Column within the line, counting the whitespace trimmed off its start.
        const lead = bytes.subarray(start, line.byteOffset - bytes.byteOffset).toString('utf8').length;
        const before = bytes.subarray(0, start).toString('utf8').length;
        throw badJson(text, error, lineNumber - 1, lead, before);
      }
      events.push({ value, raw: line });
    }
    start = end + 1;
  }
  return events;
}

/**
 * 400 with where the text breaks. `lineOffset`, `columnOffset` and `positionOffset` place a line of
 * an NDJSON body within the whole body.
 */
function badJson(text: string, error: unknown, lineOffset: number, columnOffset: number, positionOffset = 0) {
  const found = locateJsonError(text);
  if (found === undefined) {
    return new GatewayError('GW_ERR_BAD_JSON', `The body is not valid JSON: ${(error as Error).message}`);
  }
  const { line, column } = lineAndColumn(text, found.position);
  const at = {
    line: line + lineOffset,
    column: line === 1 ? column + columnOffset : column,
    position: positionOffset + columnOffset + found.position,
  };
  return new GatewayError(
    'GW_ERR_BAD_JSON',
    `The body is not valid JSON: ${found.message} at line ${at.line}, column ${at.column} (position ${at.position}).`,
    { extensions: at },
  );
}

/**
 * Byte ranges of the top-level elements of a valid JSON array. Inside strings only `"` and `\`
 * matter; UTF-8 continuation bytes are never ASCII, so a byte scan is safe.
 */
export function splitArray(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
      if (depth === 1) {
        start = i + 1; // just inside the outer array
        continue;
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        const element = trim(bytes, start, i);
        if (element.length > 0) parts.push(element);
        continue;
      }
    } else if (b === COMMA && depth === 1) {
      parts.push(trim(bytes, start, i));
      start = i + 1;
    }
  }
  return parts;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function trim(bytes: Buffer, start: number, end: number): Buffer {
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

function withoutBom(body: Buffer): Buffer {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
}
