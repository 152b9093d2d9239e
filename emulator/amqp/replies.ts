/**
 * Request/response plumbing shared by `$cbs` and `$management`. The reply goes on the server
 * sender whose name equals the request's reply-to (falling back to one whose target is that
 * address). A request without reply-to (azure-eventhub for Python sends none) is answered on the
 * reply link attached to the same node in the same session, which is how that client pairs its
 * request and response links. correlation-id = the request's message-id in the same AMQP type
 * (string for the JS SDK, ulong for Python), the only way clients match replies.
 */
import type { Message, Receiver, Sender } from 'rhea';
import { attachEnds, remoteAddress, type ConnectionState } from './context';

export interface ReplyStatus {
  readonly code: number;
  readonly description: string;
  readonly condition?: string;
}

function replyLinkFor(state: ConnectionState, request: Message, requestLink: Receiver): Sender | undefined {
  const replyTo = request.reply_to;
  if (replyTo !== undefined) {
    const named = state.replyLinks.get(replyTo);
    if (named) return named;
    for (const candidate of state.replyLinks.values()) {
      const target = (attachEnds(candidate).remote.attach as { target?: { address?: unknown } } | undefined)
        ?.target?.address;
      if (target === replyTo) return candidate;
    }
    return undefined;
  }
  const node = remoteAddress(requestLink, 'target');
  for (const candidate of state.replyLinks.values()) {
    if (candidate.session === requestLink.session && remoteAddress(candidate, 'source') === node)
      return candidate;
  }
  return undefined;
}

export function sendReply(
  state: ConnectionState,
  request: Message,
  requestLink: Receiver,
  status: ReplyStatus,
  body?: unknown,
): void {
  const link = replyLinkFor(state, request, requestLink);
  if (!link || !link.is_open()) return; // nobody to answer; the client times out as it would with the service
  const replyTo = request.reply_to;
  link.send({
    ...(replyTo === undefined ? {} : { to: replyTo }),
    correlation_id: request.message_id,
    application_properties: {
      'status-code': status.code,
      'status-description': status.description,
      ...(status.condition === undefined ? {} : { 'error-condition': status.condition }),
    },
    body: body ?? null,
  });
}
