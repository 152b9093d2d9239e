/**
 * Answers what node:http refuses before any handler runs — headers or body not received in time
 * (408), headers too large (431), unparsable HTTP (400) — as problem+json with a request id, like
 * every other error of the gateway, instead of node's bare status line. The socket is written
 * directly because no request or response object exists yet; it is closed afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, toProblem, type ErrorCode } from '../errors';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function classify(error: NodeJS.ErrnoException): GatewayError {
  const [code, detail]: [ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [
          'GW_ERR_REQUEST_TIMEOUT',
          'The request headers or body did not arrive in time; the connection is closed.',
        ]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['GW_ERR_HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.']
        : ['GW_ERR_BAD_REQUEST', 'The request is not valid HTTP/1.1.'];
  return new GatewayError(code, detail);
}

/** The raw HTTP response for a refused connection (exported for tests). */
export function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const problem = toProblem(classify(error), requestId);
  const body = JSON.stringify(problem);
  return (
    `HTTP/1.1 ${problem.status} ${REASONS[problem.status] ?? 'Error'}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A response already under way (or a reset peer) cannot take another status line.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true && error.code !== 'ECONNRESET') {
      socket.end(clientErrorResponse(error, randomUUID()));
    }
    socket.destroySoon();
  });
}
