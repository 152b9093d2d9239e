/**
 * `$management` READ requests: event hub properties (`com.microsoft:eventhub`) and partition
 * properties (`com.microsoft:partition`), with the field names and AMQP types the SDK reads.
 * Each request's `security_token` is verified (Manage or Listen on the hub); unknown hubs answer
 * 404 `amqp:not-found`, unknown partitions 400 `com.microsoft:argument-out-of-range`.
 */
// Named imports: rhea exports a Container instance whose members live on its prototype.
import { types } from 'rhea';
import type { EventContext, Message, Typed } from 'rhea';
import { verifySasToken } from '../auth/sas';
import { findHub } from '../config';
import { INVALID_PARTITION } from '../store/routing';
import type { ConnectionState, ServerContext } from './context';
import { sendReply, type ReplyStatus } from './replies';

type Answer = { status: ReplyStatus; body?: Typed };

const t = types;

function typedMap(entries: Record<string, Typed>): Typed {
  return t.wrap_map(entries);
}

export function answerManagement(server: ServerContext, state: ConnectionState, request: Message): Answer {
  const props = (request.application_properties ?? {}) as Record<string, unknown>;
  if (props.operation !== 'READ') {
    return {
      status: {
        code: 501,
        description: `Unsupported operation '${String(props.operation)}'.`,
        condition: 'amqp:not-implemented',
      },
    };
  }
  const name = typeof props.name === 'string' ? props.name : '';
  const hub = findHub(server.config, name);
  if (!hub) {
    return {
      status: {
        code: 404,
        description: `The messaging entity '${server.namespaceUri()}/${name}' could not be found.`,
        condition: 'amqp:not-found',
      },
    };
  }
  const token = props.security_token;
  if (typeof token === 'string') {
    const verdict = verifySasToken(token, {
      policies: server.config.policies,
      audience: hub.name,
      anyOfRights: ['Manage', 'Listen'],
      now: server.now(),
    });
    if (!verdict.ok)
      return {
        status: {
          code: 401,
          description: `Unauthorized access. ${verdict.message}`,
          condition: 'amqp:unauthorized-access',
        },
      };
  } else if (state.claims.check(`${hub.name}/$management`, ['Manage', 'Listen'], server.now()) !== 'ok') {
    return {
      status: {
        code: 401,
        description: 'Unauthorized access. No valid claim for $management.',
        condition: 'amqp:unauthorized-access',
      },
    };
  }

  if (props.type === 'com.microsoft:eventhub') {
    return {
      status: { code: 200, description: 'OK' },
      body: typedMap({
        name: t.wrap_string(hub.name),
        type: t.wrap_string('com.microsoft:eventhub'),
        created_at: t.wrap_timestamp(hub.createdAt.getTime()),
        partition_count: t.wrap_int(hub.partitionCount),
        partition_ids: t.wrap_list([...hub.partitionIds]),
      }),
    };
  }
  if (props.type === 'com.microsoft:partition') {
    const partitionId = typeof props.partition === 'string' ? props.partition : String(props.partition);
    const log = server.store.log(hub.name, partitionId);
    if (!log)
      return {
        status: {
          code: 400,
          description: INVALID_PARTITION,
          condition: 'com.microsoft:argument-out-of-range',
        },
      };
    const first = log.first();
    const last = log.last();
    return {
      status: { code: 200, description: 'OK' },
      body: typedMap({
        name: t.wrap_string(hub.name),
        type: t.wrap_string('com.microsoft:partition'),
        partition: t.wrap_string(partitionId),
        begin_sequence_number: t.wrap_long(first ? first.sequenceNumber : -1),
        last_enqueued_sequence_number: t.wrap_long(last ? last.sequenceNumber : log.nextSequence - 1),
        last_enqueued_offset: t.wrap_string(last ? last.offset : '-1'),
        last_enqueued_time_utc: t.wrap_timestamp(last ? last.enqueuedTime.getTime() : 0),
        is_partition_empty: t.wrap_boolean(!last),
      }),
    };
  }
  return {
    status: {
      code: 400,
      description: `Unknown entity type '${String(props.type)}'.`,
      condition: 'amqp:not-implemented',
    },
  };
}

export function onManagementRequest(
  server: ServerContext,
  state: ConnectionState,
  context: EventContext,
): void {
  const request = context.message;
  context.delivery?.accept();
  if (!request) return;
  const answer = answerManagement(server, state, request);
  if (context.receiver) sendReply(state, request, context.receiver, answer.status, answer.body);
}
