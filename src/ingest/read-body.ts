/**
 * Reads a request body into one Buffer with every bound enforced while streaming, chunk by chunk:
 *  - the size limit on the wire (Content-Length up front, then counted bytes) and again after
 *    gunzip, so a gzip bomb is stopped one chunk past the limit instead of inflating into memory;
 *  - the inflation ratio: gzip output may not outgrow the compressed bytes received by more than
 *    `maxInflationRatio` (telemetry compresses 5–50×; `[{},{},…]` and padding, about 1000×);
 *  - the memory budget (body-budget.ts): a read holds the most the bytes it received can become,
 *    so bodies being read and events waiting for the hub share MAX_BUFFERED_BYTES; a body whose
 *    Content-Length could not fit now is refused before it is read.
 * Gzip output goes through collapse-padding.ts as it arrives: whitespace padding between events
 * is dropped chunk by chunk instead of living, inflated, for the whole read.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { GatewayError } from '../errors';
import { UNBOUNDED_BODY_BUDGET, type BodyBudget } from './body-budget';
import { createPaddingCollapser } from './collapse-padding';
import type { BodyEncoding } from './content-type';
import type { BodyFormat } from './parse-body';

export interface BodyLimits {
  /** Largest body, on the wire and decompressed (MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
  /** Largest ratio of decompressed to compressed bytes (MAX_INFLATION_RATIO). */
  readonly maxInflationRatio: number;
}

/**
 * Decompressed bytes allowed whatever the ratio: one zlib output chunk, so a tiny body (a 30-byte
 * gzip of one short reading inflates to more than itself) is never refused for its ratio.
 */
const INFLATION_FLOOR_BYTES = 16 * 1024;

/** Gzip output chunks of 64 KiB: a 1 MiB body in 16 round trips to the zlib thread instead of 64. */
const GUNZIP_CHUNK_BYTES = 64 * 1024;

export function tooLarge(limit: number): GatewayError {
  return new GatewayError('GW_ERR_BODY_TOO_LARGE', `The body exceeds the limit of ${limit} bytes.`, {
    extensions: { limit },
  });
}

function inflatesTooMuch(ratio: number): GatewayError {
  return new GatewayError(
    'GW_ERR_BODY_TOO_LARGE',
    `The gzip body inflates more than ${ratio} times its compressed size.`,
    { extensions: { maxInflationRatio: ratio } },
  );
}

export function readBody(
  req: IncomingMessage,
  encoding: BodyEncoding,
  limits: BodyLimits,
  budget: BodyBudget = UNBOUNDED_BODY_BUDGET,
  /** How the body is framed (JSON or NDJSON); a gzip body's padding is collapsed when given. */
  format?: BodyFormat,
): Promise<Buffer> {
  const { maxBodyBytes: limit, maxInflationRatio: ratio } = limits;
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit));
      return;
    }
    const gzip = encoding === 'gzip';
    /** The most the body can become once `wire` compressed bytes have arrived. */
    const bound = (wire: number): number =>
      gzip ? Math.min(limit, Math.max(INFLATION_FLOOR_BYTES, wire * ratio)) : wire;
    const hold = budget.hold();
    try {
      if (Number.isFinite(declared)) hold.check(bound(declared));
    } catch (error) {
      hold.release();
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let done = false;
    const gunzip = gzip ? createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }) : undefined;
    const collapser = gzip && format !== undefined ? createPaddingCollapser(format) : undefined;
    /**
     * What the read holds: the most the bytes received so far can become. Taken as they arrive,
     * not from Content-Length up front: a client that stalls holds for what it sent, not for
     * what it promised (16 stalled uploads would otherwise hold a 16 MiB cap for the request
     * timeout).
     */
    const holding = (): number => bound(wireBytes);

    const finish = (error: Error | undefined): void => {
      if (done) return;
      done = true;
      hold.release();
      req.removeListener('data', onWire);
      req.removeListener('end', onWireEnd);
      req.removeListener('error', onAborted);
      req.removeListener('aborted', onAborted);
      if (gunzip !== undefined) {
        gunzip.removeAllListeners('data');
        if (error !== undefined) gunzip.destroy();
      }
      if (error === undefined) {
        if (collapser !== undefined) resolve(collapser.finish());
        else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bodyBytes));
      } else {
        chunks.length = 0;
        reject(error);
      }
    };
    const onBody = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
      if (bodyBytes > limit) finish(tooLarge(limit));
      else if (gzip && bodyBytes > INFLATION_FLOOR_BYTES && bodyBytes > wireBytes * ratio)
        finish(inflatesTooMuch(ratio));
      else if (collapser !== undefined) collapser.push(chunk);
      else chunks.push(chunk);
    };
    const onWire = (chunk: Buffer): void => {
      wireBytes += chunk.length;
      if (wireBytes > limit) {
        finish(tooLarge(limit));
        return;
      }
      try {
        hold.resize(holding());
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (gunzip === undefined) onBody(chunk);
      else gunzip.write(chunk);
    };
    const onWireEnd = (): void => {
      if (gunzip === undefined) finish(undefined);
      else gunzip.end();
    };
    const onAborted = (): void =>
      finish(new GatewayError('GW_ERR_BAD_REQUEST', 'The client stopped sending the body.'));

    if (gunzip !== undefined) {
      gunzip.on('data', onBody);
      gunzip.on('end', () => finish(undefined));
      gunzip.on('error', () =>
        finish(
          new GatewayError('GW_ERR_BAD_REQUEST', 'The body is not valid gzip (Content-Encoding: gzip).'),
        ),
      );
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('error', onAborted);
    req.on('aborted', onAborted);
  });
}
