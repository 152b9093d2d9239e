/**
 * `Expect:` decided before the body. Node answers `100 Continue` by itself before any handler
 * runs, so a client (curl does it for every body over 1 MB) uploads its whole body only to be
 * told 401 or 413. With a 'checkContinue' listener node leaves it to us: the request goes through
 * the same listener as any other, and `100 Continue` is written only when a handler starts
 * reading the body, that is after authentication, the budget, the route, the content type, the
 * encoding and the declared length were checked. A refusal is the final answer instead, and the
 * client never sends the body.
 *
 * Any other expectation gets 417 problem+json: 'checkExpectation' marks the request, and the
 * request guard (request-guard.ts) answers it like every other error, with a request id.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const EXPECTATION_FAILED = Symbol('expectationFailed');
type MarkedRequest = IncomingMessage & { [EXPECTATION_FAILED]?: true };

/** True when the request carries an `Expect:` the gateway does not support. */
export function expectationFailed(req: IncomingMessage): boolean {
  return (req as MarkedRequest)[EXPECTATION_FAILED] === true;
}

/** Writes `100 Continue` when the body is first read (a 'data' or 'readable' listener is added). */
function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const onListener = (event: string | symbol): void => {
    if (event !== 'data' && event !== 'readable') return;
    req.removeListener('newListener', onListener);
    if (!res.headersSent && !res.writableEnded) res.writeContinue();
  };
  req.on('newListener', onListener);
}

export function decideExpectations(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnRead(req, res);
    server.emit('request', req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    (req as MarkedRequest)[EXPECTATION_FAILED] = true;
    server.emit('request', req, res);
  });
}
