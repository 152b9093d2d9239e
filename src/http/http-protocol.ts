/**
 * How the gateway's HTTP/1.1 server treats connections, beyond node's defaults, so that a request
 * in flight is always answered and every refusal is decided as early, and delivered as reliably,
 * as possible:
 *  - `Expect: 100-continue` is answered only once the body is read (expect-continue.ts);
 *  - a client that half-closes (FIN) after its request still gets its answer (node's
 *    `httpAllowHalfOpen`: without it node aborts the request and closes at the client's FIN).
 *    A FIN cannot tell a half-close from a client that hung up, so the gateway asks: it writes an
 *    interim `100 Continue` (every HTTP/1.1 client must accept 1xx answers it did not expect). A
 *    half-closed client reads it and then its answer; a closed one's system answers with a reset,
 *    and its request is withdrawn as for any client that hangs up (its unsent readings never go);
 *  - a parse error on a later pipelined message waits for the pending answers (client-error.ts);
 *  - an answer given before the body arrived is followed by a lingering close (lingering-close.ts).
 * The Host checks node skips with `requireHostHeader: false` are the request guard's.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerClientErrors } from './client-error';
import { decideExpectations } from './expect-continue';
import { lingerOnClose, type LingerLimits } from './lingering-close';
import { currentRequest, trackRequest } from './socket-state';

export const DEFAULT_LINGER: LingerLimits = Object.freeze({ maxMs: 5000, maxBytes: 8 * 1024 * 1024 });

export function applyHttpProtocol(server: Server, linger: LingerLimits = DEFAULT_LINGER): void {
  // Undocumented but stable since node 0.x (read in `socketOnEnd` of lib/_http_server.js).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.prependListener('request', trackRequest);
  decideExpectations(server);
  answerClientErrors(server);
  lingerOnClose(server, linger);
  server.on('connection', (socket: Socket) => socket.once('end', () => probeAfterFin(socket)));
}

/**
 * After the first probe, later ones at growing intervals while the answer is pending: the reset of
 * a closed client comes back after a round trip, and is only noticed at the next write.
 */
const FIRST_PROBE_INTERVAL_MS = 200;

/** On a client's FIN with an answer pending: interim 100s, which a closed client resets. */
function probeAfterFin(socket: Socket): void {
  let interval = FIRST_PROBE_INTERVAL_MS;
  let timer: NodeJS.Timeout | undefined;
  const probe = (): void => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight == null || inFlight.headersSent || !socket.writable) return;
    // HTTP/1.0 clients cannot take a 1xx: they keep the half-close semantics without the probe.
    if (currentRequest(socket)?.httpVersion !== '1.1') return;
    inFlight.writeContinue();
    timer = setTimeout(probe, interval);
    timer.unref();
    interval *= 2;
  };
  socket.once('close', () => clearTimeout(timer));
  probe();
}
