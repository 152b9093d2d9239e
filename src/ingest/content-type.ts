/**
 * Which bodies the ingest route accepts, decided from headers before a byte of the body is read:
 * `application/json` or `application/x-ndjson` (UTF-8), identity or gzip encoding. Anything else
 * is a 415 naming what is accepted. Pure.
 */
import { GatewayError } from '../errors';
import type { BodyFormat } from './parse-body';

export type BodyEncoding = 'identity' | 'gzip';

export const ACCEPTED_MEDIA_TYPES = 'application/json, application/x-ndjson';

const FORMATS: ReadonlyMap<string, BodyFormat> = new Map([
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
]);

/** What devices send nearly always, spelled exactly so: decided by one lookup, no parsing. */
const EXACT_FORMATS: ReadonlyMap<string, BodyFormat> = new Map([
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['application/json; charset=utf-8', 'json'],
  ['application/x-ndjson; charset=utf-8', 'ndjson'],
]);

export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  if (contentType !== undefined) {
    const exact = EXACT_FORMATS.get(contentType);
    if (exact !== undefined) return exact;
    const [mediaType = '', ...parameters] = contentType.split(';');
    const format = FORMATS.get(mediaType.trim().toLowerCase());
    const charsetOk = parameters.every((parameter) => {
      const [name = '', value = ''] = parameter.split('=');
      return name.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value.trim());
    });
    if (format !== undefined && charsetOk) return format;
  }
  throw new GatewayError(
    'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
    `Content-Type must be one of ${ACCEPTED_MEDIA_TYPES} (UTF-8); got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}.`,
    { extensions: { accepted: ACCEPTED_MEDIA_TYPES.split(', ') } },
  );
}

export function bodyEncodingOf(contentEncoding: string | undefined): BodyEncoding {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding === undefined || encoding === '' || encoding === 'identity') return 'identity';
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  throw new GatewayError(
    'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding must be gzip or absent; got ${JSON.stringify(contentEncoding)}.`,
    { extensions: { acceptedEncodings: ['gzip', 'identity'] } },
  );
}
