/**
 * What the HTTP edge needs to know about a connection that node:http does not expose: the
 * request most recently received on it, and how many of its requests still wait for their
 * response (pipelined requests queue behind each other). Kept on the socket under a symbol,
 * updated by `trackRequest` (a 'request' listener that runs before the app), read by the
 * client-error handler (a parse error on a later message must wait for the pending answers) and
 * by the lingering close (a body still arriving must be read before the socket is closed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface ConnectionState {
  /** The request most recently received on this connection. */
  current: IncomingMessage | undefined;
  /** Requests received whose response has not finished yet. */
  pending: number;
  /** Called once when `pending` falls to 0. */
  onIdle: (() => void) | undefined;
}

const STATE = Symbol('connectionState');
type TrackedSocket = Socket & { [STATE]?: ConnectionState };

function stateOf(socket: Socket): ConnectionState {
  const tracked = socket as TrackedSocket;
  return (tracked[STATE] ??= { current: undefined, pending: 0, onIdle: undefined });
}

/*
 * Only 'finish' is listened to: a response that closes without finishing has lost its socket,
 * and nothing waits on a socket that is gone (one listener per request instead of two: this runs
 * for every request the gateway serves).
 */
function settled(this: ServerResponse): void {
  // node:http has detached the response from its socket by now; the request keeps it.
  const state = (this.req.socket as TrackedSocket)[STATE];
  if (state === undefined) return;
  state.pending--;
  if (state.pending === 0 && state.onIdle !== undefined) {
    const onIdle = state.onIdle;
    state.onIdle = undefined;
    onIdle();
  }
}

/** Records a received request (a 'request' listener, prepended so it runs first). */
export function trackRequest(req: IncomingMessage, res: ServerResponse): void {
  const state = stateOf(req.socket);
  state.current = req;
  state.pending++;
  res.on('finish', settled);
}

/** The request most recently received on `socket`, if any. */
export function currentRequest(socket: Socket): IncomingMessage | undefined {
  return (socket as TrackedSocket)[STATE]?.current;
}

/** How many requests on `socket` still wait for their response. */
export function pendingResponses(socket: Socket): number {
  return (socket as TrackedSocket)[STATE]?.pending ?? 0;
}

/** Calls `fn` once no request on `socket` waits for a response (at once if none does). */
export function whenIdle(socket: Socket, fn: () => void): void {
  const state = stateOf(socket);
  if (state.pending === 0) fn();
  else state.onIdle = fn;
}

/** True when the request has a body (declared length above 0, or chunked) not fully received yet. */
export function bodyStillArriving(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
