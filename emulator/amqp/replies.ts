/**
 * Request/response plumbing shared by `$cbs` and `$management`: the reply goes on the server
 * sender whose name equals the request's reply-to (falling back to one whose target is that
 * address), with correlation-id = the request's message-id in the same AMQP type, which is the
 * only way the SDK matches replies.
 */
import type { Message } from 'rhea';
import { attachEnds, type ConnectionState } from './context';

export interface ReplyStatus {
  readonly code: number;
  readonly description: string;
  readonly condition?: string;
}

export function sendReply(
  state: ConnectionState,
  request: Message,
  status: ReplyStatus,
  body?: unknown,
): void {
  const replyTo = request.reply_to;
  let link = replyTo === undefined ? undefined : state.replyLinks.get(replyTo);
  if (!link && replyTo !== undefined) {
    for (const candidate of state.replyLinks.values()) {
      const target = (attachEnds(candidate).remote.attach as { target?: { address?: unknown } } | undefined)
        ?.target?.address;
      if (target === replyTo) link = candidate;
    }
  }
  if (!link || !link.is_open()) return; // nobody to answer; the client times out as it would with the service
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
