/**
 * Reads a request body into one Buffer with the size limit enforced while streaming: on the wire
 * (Content-Length up front, then counted bytes) and again after gunzip, chunk by chunk, so a small
 * gzip bomb is stopped one chunk past the limit instead of inflating into memory.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { GatewayError } from '../errors';
import type { BodyEncoding } from './content-type';

export function tooLarge(limit: number): GatewayError {
  return new GatewayError('GW_ERR_BODY_TOO_LARGE', `The body exceeds the limit of ${limit} bytes.`, {
    extensions: { limit },
  });
}

export function readBody(req: IncomingMessage, encoding: BodyEncoding, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let done = false;
    const gunzip = encoding === 'gzip' ? createGunzip() : undefined;

    const finish = (error: GatewayError | undefined): void => {
      if (done) return;
      done = true;
      req.removeListener('data', onWire);
      req.removeListener('end', onWireEnd);
      req.removeListener('error', onAborted);
      req.removeListener('aborted', onAborted);
      if (gunzip !== undefined) {
        gunzip.removeAllListeners('data');
        if (error !== undefined) gunzip.destroy();
      }
      if (error === undefined) {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bodyBytes));
      } else {
        chunks.length = 0;
        reject(error);
      }
    };
    const onBody = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
      if (bodyBytes > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onWire = (chunk: Buffer): void => {
      wireBytes += chunk.length;
      if (wireBytes > limit) finish(tooLarge(limit));
      else if (gunzip === undefined) onBody(chunk);
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
