/**
 * `GET /openapi.yaml`: the repository's OpenAPI document, so a client can discover the API from
 * the gateway it talks to. Unauthenticated and cheap like the other ops routes, and a plain node
 * handler so it can serve on the public app or the ops port alike.
 *
 * The file is read once, when the handler is created (at start): a missing document fails the
 * start-up loudly instead of every request, and a request costs no I/O. The bytes are served as
 * they are in the repository, so what clients fetch is exactly what the contract test checks.
 */

import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';

export const OPENAPI_PATH = '/openapi.yaml';
/** RFC 9512; YAML is UTF-8 by definition, so the type takes no charset parameter. */
export const OPENAPI_CONTENT_TYPE = 'application/yaml';

export interface OpenApiRouteOptions {
  /** The document to serve; default: the repository's openapi.yaml (see `defaultOpenApiFile`). */
  readonly file?: string;
  /** Seconds clients and proxies may reuse it; it changes only with a deploy. */
  readonly maxAgeSeconds?: number;
  readonly readFile?: (path: string) => Buffer;
}

/**
 * The repository root is two folders up from this module under tsx/ts-jest (`src/ops/`) and three
 * up once compiled (`dist/src/ops/`); the Docker image keeps the same layout (`/app/openapi.yaml`
 * beside `/app/dist`). The first candidate that exists wins.
 */
export function defaultOpenApiFile(
  moduleDir: string = __dirname,
  exists: (path: string) => boolean = existsSync,
): string {
  const candidates = [resolve(moduleDir, '../../openapi.yaml'), resolve(moduleDir, '../../../openapi.yaml')];
  const found = candidates.find((path) => exists(path));
  if (found === undefined) throw new Error(`openapi.yaml not found; looked at ${candidates.join(' and ')}`);
  return found;
}

export function openApiRoute(
  options: OpenApiRouteOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxAgeSeconds = options.maxAgeSeconds ?? 300;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)
    throw new Error(`maxAgeSeconds must be a non-negative integer, got ${maxAgeSeconds}`);
  const file = options.file ?? defaultOpenApiFile();
  const body = (options.readFile ?? readFileSync)(file);
  if (body.length === 0) throw new Error(`${file} is empty`);
  const cacheControl = `public, max-age=${maxAgeSeconds}`;

  return (_req, res) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', OPENAPI_CONTENT_TYPE);
    res.setHeader('Content-Length', body.length);
    res.setHeader('Cache-Control', cacheControl);
    // Node writes no body for HEAD by itself.
    res.end(body);
  };
}
