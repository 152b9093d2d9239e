/**
 * Request body bytes → events, each with its parsed value and its own bytes as received. The
 * bytes matter: the hub gets each event's JSON exactly as the device sent it (byte for byte), not
 * a re-serialisation. For an array, one byte scan finds where each element starts and ends, and
 * counts them: past `maxEvents` the body is refused (413) before anything is parsed, so a small
 * body of `[{},{},…]` costs a short scan, not a parse of 350k objects. Within the cap the body is
 * parsed once with `JSON.parse`. NDJSON is counted the same way, then one parse a line.
 *
 * A gzip body arrives with long whitespace runs between its events already collapsed
 * (collapse-padding.ts); a 400 for it is reported against the body rebuilt as sent.
 *
 * The events' bytes are views of the body. When they are a small part of the memory the body
 * holds (padding, indentation, a gzip output buffer), they are copied out into one buffer of
 * their own size, so what waits for the hub is what the buffer cap is charged for.
 * Pure; throws `GatewayError` (400) naming line, column and position on malformed input.
 */
import { GatewayError } from '../errors';
import { expandPadding, hasDroppedPadding } from './collapse-padding';
import { lineAndColumn, locateJsonError } from './json-error-location';

export type BodyFormat = 'json' | 'ndjson';

export interface ParsedEvent {
  readonly value: unknown;
  /** The event's JSON bytes as received (surrounding whitespace trimmed). */
  readonly raw: Buffer;
}

/** Readings per request when the caller names no cap (MAX_EVENTS_PER_REQUEST's default). */
export const DEFAULT_MAX_EVENTS = 1000;

/**
 * The events' bytes are copied out of the body when it holds more than this many bytes beyond
 * theirs (and more than a quarter of theirs): below it, the copy would cost more than it frees.
 */
const COMPACT_MIN_WASTE = 4096;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

export function parseBody(body: Buffer, format: BodyFormat, maxEvents = DEFAULT_MAX_EVENTS): ParsedEvent[] {
  let events: ParsedEvent[];
  try {
    events = format === 'json' ? parseJson(body, maxEvents) : parseNdjson(body, maxEvents);
  } catch (error) {
    // Positions name the body as sent: report from one rebuilt with its padding's place and lines.
    if (error instanceof GatewayError && error.code === 'GW_ERR_BAD_JSON' && hasDroppedPadding(body))
      return parseBody(expandPadding(body), format, maxEvents);
    throw error;
  }
  if (events.length === 0) throw new GatewayError('GW_ERR_BAD_REQUEST', 'The body holds no events.');
  return compact(events, body);
}

/** 413 for a body holding more readings than one request may carry. */
export function tooManyEvents(limit: number): GatewayError {
  return new GatewayError(
    'GW_ERR_TOO_MANY_EVENTS',
    `The body holds more than ${limit} events; send at most ${limit} per request.`,
    { extensions: { limit } },
  );
}

function parseJson(body: Buffer, maxEvents: number): ParsedEvent[] {
  const untrimmed = withoutBom(body);
  const bytes = trim(untrimmed, 0, untrimmed.length);
  // Counted (and refused past the cap) before anything is parsed.
  const raws = bytes[0] === OPEN_BRACKET ? splitArray(bytes, maxEvents) : undefined;
  const text = untrimmed.toString('utf8'); // untrimmed, so error lines and columns match the body
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badJson(text, error, 0, 0);
  }
  if (Array.isArray(value)) {
    // The scan and JSON.parse read the same valid text, so they agree; guard anyway.
    if (raws?.length !== value.length) throw new GatewayError('GW_ERR_INTERNAL', 'Array split mismatch.');
    return value.map((element: unknown, index) => ({ value: element, raw: raws[index] as Buffer }));
  }
  if (typeof value === 'object' && value !== null) return [{ value, raw: bytes }];
  throw new GatewayError(
    'GW_ERR_BAD_REQUEST',
    'The body must be a JSON object (one event) or a JSON array of objects (a batch).',
  );
}

function parseNdjson(body: Buffer, maxEvents: number): ParsedEvent[] {
  const bytes = withoutBom(body);
  const events: ParsedEvent[] = [];
  let lineNumber = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    lineNumber++;
    const line = trim(bytes, start, end);
    if (line.length > 0) {
      if (events.length === maxEvents) throw tooManyEvents(maxEvents);
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
 * Byte ranges of the top-level elements of a valid JSON array; throws `tooManyEvents` as soon as
 * an element past `maxEvents` begins. Strings are skipped whole (their closing quote found with
 * `indexOf`, a native search): about half a reading's bytes are in strings, and looking at each
 * of them in JS was most of the scan's cost. UTF-8 continuation bytes are never ASCII, so a byte
 * scan is safe.
 */
export function splitArray(bytes: Buffer, maxEvents = Number.POSITIVE_INFINITY): Buffer[] {
  const parts: Buffer[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      i = closingQuote(bytes, i);
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
      if (parts.length + 1 >= maxEvents) throw tooManyEvents(maxEvents);
      parts.push(trim(bytes, start, i));
      start = i + 1;
    }
  }
  return parts;
}

/**
 * Where the string opened at `open` ends: the next `"` preceded by an even number of backslashes
 * (an odd number escapes it). An unterminated string runs to the end; JSON.parse refuses it.
 */
function closingQuote(bytes: Buffer, open: number): number {
  for (let at = bytes.indexOf(QUOTE, open + 1); at !== -1; at = bytes.indexOf(QUOTE, at + 1)) {
    let backslash = at - 1;
    while (bytes[backslash] === BACKSLASH) backslash--;
    if ((at - 1 - backslash) % 2 === 0) return at;
  }
  return bytes.length;
}

/**
 * The events with their bytes copied into one buffer of their own total size when the body's
 * memory is mostly something else; otherwise as they are (views of the body, no copy).
 */
function compact(events: ParsedEvent[], body: Buffer): ParsedEvent[] {
  let kept = 0;
  for (const event of events) kept += event.raw.length;
  const waste = body.buffer.byteLength - kept;
  if (waste <= COMPACT_MIN_WASTE || waste <= kept / 4) return events;
  const copy = Buffer.allocUnsafeSlow(kept);
  let at = 0;
  return events.map(({ value, raw }) => {
    raw.copy(copy, at);
    const own = copy.subarray(at, at + raw.length);
    at += raw.length;
    return { value, raw: own };
  });
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
