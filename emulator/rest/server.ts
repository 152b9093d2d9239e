/**
 * The emulator's REST send endpoint (plain HTTP on loopback): the HTTPS API that partner apps use
 * with publisher-scoped SAS tokens, which the JS SDK cannot address. Token checks reuse the CBS
 * verifier (`auth/sas.ts`) and storage reuses `ingest`, so a REST send is authorised, routed and
 * stored exactly like an AMQP one. Statuses follow the service: 201 stored, 400 bad body,
 * 401 missing/invalid/expired token, 403 token not covering the entity or lacking Send, 404 unknown
 * hub or path, 405 wrong method, 413 over the hub's max message size, 503 injected server-busy.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySasToken } from '../auth/sas';
import { findHub, type EmulatorConfig } from '../config';
import { EmulatorError } from '../errors';
import type { SendRejection } from '../faults';
import type { FaultCounters, IngestTarget, InnerMessage, StoredEvent } from '../types';
import { parseRestBody } from './rest-body';
import { parseRestPath } from './rest-path';

export interface RestServerOptions {
  readonly config: EmulatorConfig;
  /** Default `config.host`. */
  readonly host?: string;
  /** 0 = ephemeral. */
  readonly port: number;
  readonly ingest: (
    target: IngestTarget,
    messages: readonly InnerMessage[],
    options?: { bytes?: number },
  ) => StoredEvent[];
  readonly faults?: {
    takeSendRejection(): SendRejection | undefined;
    count(name: keyof FaultCounters, by?: number): void;
  };
  readonly now?: () => number;
}

export interface RestServer {
  /** `http://<host>:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** HTTP status for an injected AMQP condition, as the service's REST API answers it. */
const INJECTED_STATUS: Record<string, number> = {
  'com.microsoft:server-busy': 503,
  'com.microsoft:timeout': 504,
  'amqp:link:message-size-exceeded': 413,
  'amqp:unauthorized-access': 401,
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

function answer(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const body =
    status === 201 ? '' : `<Error><Code>${status}</Code><Detail>${escapeXml(detail)}</Detail></Error>`;
  res.writeHead(status, {
    ...headers,
    ...(body === '' ? {} : { 'Content-Type': 'application/xml; charset=utf-8' }),
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(
          new HttpFailure(413, `The request body exceeds the limit (${limit} bytes).`, {
            Connection: 'close',
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const { config, ingest, faults } = options;
  const now = options.now ?? Date.now;
  const limit = config.maxMessageSize;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rest = parseRestPath(new URL(req.url ?? '/', 'http://emulator').pathname);
    if (!rest)
      throw new HttpFailure(
        404,
        'No such endpoint; use /{hub}/messages, /{hub}/publishers/{name}/messages or /{hub}/partitions/{id}/messages.',
      );
    if (req.method !== 'POST') throw new HttpFailure(405, 'Use POST.', { Allow: 'POST' });
    const token = req.headers.authorization;
    if (token === undefined || token === '')
      throw new HttpFailure(401, 'The Authorization header with a SharedAccessSignature is missing.');
    const verdict = verifySasToken(token, {
      policies: config.policies,
      audience: rest.audience,
      anyOfRights: ['Send'],
      now: now(),
    });
    if (!verdict.ok)
      throw new HttpFailure(
        verdict.reason === 'audience' || verdict.reason === 'rights' ? 403 : 401,
        verdict.message,
      );
    if (!findHub(config, rest.target.hub))
      throw new HttpFailure(404, `The messaging entity '${rest.target.hub}' could not be found.`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit)
      throw new HttpFailure(413, `The request body exceeds the limit (${limit} bytes).`, {
        Connection: 'close',
      });
    const body = await readBody(req, limit);
    const parsed = parseRestBody(body, req.headers['content-type'], header(req, 'brokerproperties'));
    const injected = faults?.takeSendRejection();
    if (injected) throw new HttpFailure(INJECTED_STATUS[injected.condition] ?? 500, injected.description);
    const target: IngestTarget = {
      ...rest.target,
      ...(parsed.partitionKey === undefined ? {} : { partitionKey: parsed.partitionKey }),
    };
    ingest(target, parsed.messages, { bytes: body.length });
    answer(res, 201, '');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      faults?.count('rejected');
      if (error instanceof HttpFailure) answer(res, error.status, error.message, error.headers);
      else if (error instanceof EmulatorError) answer(res, error.status, error.message);
      else answer(res, 500, 'The emulator failed to process the request.');
      if (error instanceof HttpFailure && error.headers.Connection === 'close')
        res.on('finish', () => req.destroy());
    });
  });
  const host = options.host ?? config.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
