/**
 * Long runs of whitespace between a body's events, dropped while the body is inflated, so a gzip
 * body padded to MAX_BODY_BYTES costs its readings, not a MiB that lives for the whole read.
 * That matters beyond the bytes: a buffer that outlives a few young-generation collections is
 * promoted, and promoted buffers are freed only by a full collection, which V8 starts once about
 * 64 MiB more is held outside its heap. 300 padded bodies decompressed side by side pushed RSS past
 * MAX_BUFFERED_BYTES + 64 MiB that way, though each one was charged and released in time.
 *
 * Only whitespace outside every event is touched: outside strings, at the top level (or between the
 * elements of a top-level array). The first `KEPT_RUN_BYTES` of a run stay as they are; the rest
 * becomes one space, or one line feed if it held one (NDJSON's lines stay lines), so the collapsed
 * body parses to the same events with the same bytes. What a run held is recorded (length, line
 * feeds, bytes after the last one), so `expandPadding` can rebuild a body with the same positions,
 * lines and columns for an error report: a 400 names the place in the body as it was sent.
 */
import type { BodyFormat } from './parse-body';

/** A run's first bytes are kept as they are: short runs (indentation) cost no bookkeeping. */
const KEPT_RUN_BYTES = 64;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

const NOT_SPACE = /[^ \t\r\n]/g;

const SPACE_BYTE = Buffer.from(' ');
const LF_BYTE = Buffer.from('\n');

/** Whitespace dropped at one place of a collapsed body (where its one replacement byte sits). */
interface DroppedRun {
  readonly at: number;
  readonly length: number;
  readonly lineFeeds: number;
  /** Bytes after its last line feed (all of it when it has none). */
  readonly tail: number;
}

const droppedRuns = new WeakMap<Buffer, readonly DroppedRun[]>();

export interface PaddingCollapser {
  /** Takes the next inflated chunk; keeps a reference to it only when nothing in it was dropped. */
  push(chunk: Buffer): void;
  /** The collapsed body. */
  finish(): Buffer;
}

export function createPaddingCollapser(format: BodyFormat): PaddingCollapser {
  const parts: Buffer[] = [];
  const runs: DroppedRun[] = [];
  let outLength = 0;
  let depth = 0;
  /** Deepest level whose whitespace lies outside every event: 1 inside a top-level JSON array. */
  let outerDepth = 0;
  let decided = format === 'ndjson';
  let inString = false;
  let escaped = false;
  /** Length of the whitespace run in progress (outside events), 0 when none. */
  let runLength = 0;
  /** Bytes of the run dropped so far, their line feeds, and bytes since the last one. */
  let dropped = 0;
  let droppedLineFeeds = 0;
  let droppedTail = 0;

  const closeRun = (): void => {
    if (dropped > 0) {
      const replacement = droppedLineFeeds > 0 ? LF_BYTE : SPACE_BYTE;
      runs.push({ at: outLength, length: dropped, lineFeeds: droppedLineFeeds, tail: droppedTail });
      parts.push(replacement);
      outLength += 1;
    }
    runLength = 0;
    dropped = 0;
    droppedLineFeeds = 0;
    droppedTail = 0;
  };

  /** Counts `chunk[from, end)`, all whitespace, as dropped. */
  const drop = (chunk: Buffer, from: number, end: number): void => {
    dropped += end - from;
    let lastLineFeed = -1;
    for (let k = chunk.indexOf(LF, from); k !== -1 && k < end; k = chunk.indexOf(LF, k + 1)) {
      droppedLineFeeds++;
      lastLineFeed = k;
    }
    droppedTail = lastLineFeed === -1 ? droppedTail + end - from : end - lastLineFeed - 1;
  };

  const collapse = (chunk: Buffer): void => {
    /** Start of the bytes of this chunk not yet given to `parts`; -1 while dropping. */
    let keepFrom = dropped > 0 ? -1 : 0;
    let copied = false;
    let text: string | undefined;
    const keep = (end: number): void => {
      if (keepFrom === -1 || end <= keepFrom) return;
      if (keepFrom === 0 && end === chunk.length && !copied) parts.push(chunk);
      else parts.push(Buffer.from(chunk.subarray(keepFrom, end)));
      outLength += end - keepFrom;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        continue;
      }
      if ((b === SPACE || b === LF || b === TAB || b === CR) && depth <= outerDepth) {
        // The whole run at once: padding is skipped at the regular expression's speed.
        text ??= chunk.toString('latin1');
        NOT_SPACE.lastIndex = i;
        const end = NOT_SPACE.exec(text)?.index ?? chunk.length;
        const dropFrom = i + Math.min(end - i, Math.max(0, KEPT_RUN_BYTES - runLength));
        runLength += end - i;
        if (dropFrom < end) {
          if (dropped === 0) {
            keep(dropFrom);
            copied = true;
            keepFrom = -1;
          }
          drop(chunk, dropFrom, end);
        }
        i = end - 1;
        continue;
      }
      if (runLength > 0) {
        if (dropped > 0) {
          closeRun();
          keepFrom = i;
        } else {
          runLength = 0;
        }
      }
      if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
        if (!decided) {
          decided = true;
          if (b === OPEN_BRACKET) outerDepth = 1;
        }
        depth++;
      } else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) {
        depth--;
      } else if (!decided && b < 0x80) {
        decided = true;
      }
    }
    keep(chunk.length);
  };

  // Until a chunk shows a long run, chunks are only kept: the byte-by-byte scan is paid by padded
  // bodies alone. Looking for a run reads about one byte in KEPT_RUN_BYTES of anything else.
  let collapsing = false;
  let trailingSpace = 0;
  return {
    push(chunk) {
      if (collapsing) {
        collapse(chunk);
        return;
      }
      if (!hasLongRun(chunk, trailingSpace)) {
        trailingSpace = trailingWhitespace(chunk, trailingSpace);
        parts.push(chunk);
        outLength += chunk.length;
        return;
      }
      collapsing = true;
      const earlier = parts.splice(0);
      outLength = 0;
      for (const part of earlier) collapse(part);
      collapse(chunk);
    },
    finish() {
      closeRun();
      const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, outLength);
      if (runs.length > 0) droppedRuns.set(body, runs);
      return body;
    },
  };
}

function isWhitespace(b: number | undefined): boolean {
  return b === SPACE || b === LF || b === TAB || b === CR;
}

/**
 * Whether `bytes` holds more than KEPT_RUN_BYTES whitespace bytes in a row, counting `carried`
 * whitespace bytes that ended the previous chunk. A skip search: a byte that is not whitespace
 * rules out every run through it, so the next byte worth reading is a run's length further on.
 */
function hasLongRun(bytes: Buffer, carried: number): boolean {
  const n = KEPT_RUN_BYTES + 1;
  let i = Math.max(0, n - 1 - carried);
  while (i < bytes.length) {
    if (!isWhitespace(bytes[i])) {
      i += n;
      continue;
    }
    let start = i;
    while (start > 0 && i - start < n && isWhitespace(bytes[start - 1])) start--;
    if (start === 0) start = -carried;
    let end = i + 1;
    while (end < bytes.length && end - start < n && isWhitespace(bytes[end])) end++;
    if (end - start >= n) return true;
    i = end + n;
  }
  return false;
}

/** Whitespace bytes ending `bytes` (with `carried` before it when all of it is whitespace), capped. */
function trailingWhitespace(bytes: Buffer, carried: number): number {
  let count = 0;
  while (count < bytes.length && count <= KEPT_RUN_BYTES && isWhitespace(bytes[bytes.length - 1 - count]))
    count++;
  return count === bytes.length ? Math.min(KEPT_RUN_BYTES + 1, carried + count) : count;
}

/** Whether `body` came out of a collapser that dropped something. */
export function hasDroppedPadding(body: Buffer): boolean {
  return droppedRuns.has(body);
}

/**
 * A body equal to the one sent in length, line feeds and the column after each dropped run (the
 * dropped whitespace rebuilt as spaces and line feeds), for error reports. `body` itself when
 * nothing was dropped.
 */
export function expandPadding(body: Buffer): Buffer {
  const runs = droppedRuns.get(body);
  if (runs === undefined) return body;
  let length = body.length;
  for (const run of runs) length += run.length - 1;
  const out = Buffer.alloc(length, SPACE);
  let from = 0;
  let to = 0;
  for (const run of runs) {
    to += body.copy(out, to, from, run.at);
    const lineFeedsAt = to + run.length - run.lineFeeds - run.tail;
    out.fill(LF, lineFeedsAt, lineFeedsAt + run.lineFeeds);
    to += run.length;
    from = run.at + 1;
  }
  body.copy(out, to, from);
  return out;
}
