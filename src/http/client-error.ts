/**
 * Answers what node:http refuses before any handler runs — headers or body not received in time
 * (408), headers too large (431), unparsable HTTP (400) — as problem+json with a request id, like
 * every other error of the gateway, instead of node's bare status line. The socket is written
 * directly because no request or response object exists yet.
 *
 * A request in flight is always answered. When the error is in a later message of the connection
 * (garbage pipelined in the same segment after a valid write, or data after `Connection: close`)
 * and every earlier request was received whole, their answers are waited for, in order; then the
 * problem is written (unless the connection was closed by then, as after `Connection: close`) and
 * the connection is closed. Only an error inside the current request's own message (a broken
 * body, a client that stops mid-body) cuts it.
 */
import { randomUUID } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, toProblem, type ErrorCode } from '../errors';
import { currentRequest, pendingResponses, whenIdle } from './socket-state';

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

const HANDLED = Symbol('clientErrorHandled');
type HandledSocket = Socket & { [HANDLED]?: true };

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: HandledSocket) => {
    // The parser reports every later chunk again; the first report decides.
    if (socket[HANDLED] === true) return;
    socket[HANDLED] = true;
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const current = currentRequest(socket);
    if (pendingResponses(socket) > 0 && current?.complete !== true) {
      // The error is in the message of the request being served (a stalled or broken body): it
      // gets this answer instead of its own, if nothing of that was written yet.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      // No lingering: nothing more of this message is worth reading.
      if (inFlight?.headersSent !== true)
        socket.end(clientErrorResponse(error, randomUUID()), () => socket.destroy());
      else socket.destroy();
      return;
    }
    whenIdle(socket, () => {
      if (socket.writable && error.code !== 'HPE_CLOSED_CONNECTION')
        socket.end(clientErrorResponse(error, randomUUID()));
      socket.destroySoon();
    });
  });
}
