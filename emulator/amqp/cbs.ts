/**
 * `$cbs` put-token: verify the SAS token against the named policy (signature, expiry, audience
 * coverage), check the policy has the rights the audience implies (Send for hub, partition and
 * publisher audiences, Listen for consumer groups, Manage or Listen for `$management`), check the
 * entity exists, then record the claim on the connection. Refusals are 401 with
 * `amqp:unauthorized-access` (the SDK's UnauthorizedError) or 404 `amqp:not-found` for an unknown
 * hub (MessagingEntityNotFoundError).
 */
import type { EventContext, Message } from 'rhea';
import { verifySasToken } from '../auth/sas';
import { findHub } from '../config';
import { parseEntityPath, rightsFor } from '../entity-path';
import type { ConnectionState, ServerContext } from './context';
import { sendReply, type ReplyStatus } from './replies';

const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
const JWT_TOKEN_TYPE = 'jwt';
const SAS_PREFIX = 'SharedAccessSignature ';

function unauthorized(description: string): ReplyStatus {
  return { code: 401, description, condition: 'amqp:unauthorized-access' };
}

export function handlePutToken(server: ServerContext, state: ConnectionState, request: Message): ReplyStatus {
  const props = (request.application_properties ?? {}) as Record<string, unknown>;
  if (props.operation !== 'put-token') {
    return {
      code: 400,
      description: `Unsupported CBS operation '${String(props.operation)}'.`,
      condition: 'amqp:not-implemented',
    };
  }
  const audience = props.name;
  const token: unknown = request.body;
  if (typeof audience !== 'string' || typeof token !== 'string') {
    return {
      code: 400,
      description: 'put-token needs a string name and a string token body.',
      condition: 'amqp:invalid-field',
    };
  }
  // azure-eventhub for Python labels its SAS tokens 'jwt'; the service goes by the token itself.
  const sasLabelled =
    props.type === SAS_TOKEN_TYPE || (props.type === JWT_TOKEN_TYPE && token.startsWith(SAS_PREFIX));
  if (!sasLabelled)
    return unauthorized(`Token type '${String(props.type)}' is not supported here; use a SAS token.`);
  const entity = parseEntityPath(audience);
  if (!entity)
    return {
      code: 404,
      description: `The messaging entity '${audience}' could not be found.`,
      condition: 'amqp:not-found',
    };
  if (entity.kind !== 'namespace' && !findHub(server.config, entity.hub)) {
    return {
      code: 404,
      description: `The messaging entity '${audience}' could not be found.`,
      condition: 'amqp:not-found',
    };
  }
  const verdict = verifySasToken(token, {
    policies: server.config.policies,
    audience,
    anyOfRights: rightsFor(entity),
    now: server.now(),
  });
  if (!verdict.ok) return unauthorized(`Unauthorized access. ${verdict.message}`);
  state.claims.put(audience, {
    resource: verdict.token.resource,
    expiresAtMs: verdict.expiresAtMs,
    rights: verdict.policy.rights,
  });
  return { code: 202, description: 'Accepted' };
}

export function onCbsRequest(server: ServerContext, state: ConnectionState, context: EventContext): void {
  const request = context.message;
  context.delivery?.accept();
  if (!request) return;
  server.faults.count('putTokens');
  if (context.receiver) sendReply(state, request, context.receiver, handlePutToken(server, state, request));
}
