/**
 * Curl aids for writers (scope `events:write`): `GET /v1/event-types` lists the event types this
 * key may write, with what a client needs to send one (schema version, partition-key pointer,
 * message-id field, event-time rules, where the schema is), and
 * `GET /v1/event-types/{type}/schema` serves that type's JSON Schema exactly as its file is
 * written. Everything is prepared at start-up; a request only filters by the key's grants.
 */
import type { RequestHandler } from 'express';
import { getPrincipal } from '../auth/authenticate';
import { matchesAny } from '../auth/patterns';
import { GatewayError } from '../errors';
import type { EventType, EventTypeRegistry } from './event-types';

export const EVENT_TYPES_PATH = '/v1/event-types';
export const SCHEMA_PATH = '/v1/event-types/:type/schema';
export const SCHEMA_CONTENT_TYPE = 'application/schema+json';

export interface EventTypeSummary {
  readonly name: string;
  readonly description?: string;
  readonly schemaVersion: string;
  readonly partitionKey: string;
  readonly messageIdField: string;
  readonly eventTime?: unknown;
  readonly schemaUrl: string;
}

export function eventTypeSummary(type: EventType, messageIdField: string): EventTypeSummary {
  const { description, schemaVersion, partitionKey, eventTime } = type.settings;
  return {
    name: type.name,
    ...(description === undefined ? {} : { description }),
    schemaVersion,
    partitionKey,
    messageIdField,
    ...(eventTime === undefined ? {} : { eventTime }),
    schemaUrl: `${EVENT_TYPES_PATH}/${type.name}/schema`,
  };
}

export function eventTypesRoutes(
  eventTypes: EventTypeRegistry,
  messageIdField: string,
): { list: RequestHandler; schema: RequestHandler } {
  const summaries = [...eventTypes.values()].map((type) => eventTypeSummary(type, messageIdField));
  const writable = (req: Parameters<RequestHandler>[0]): ((name: string) => boolean) => {
    const principal = getPrincipal(req);
    return (name) => principal !== undefined && matchesAny(principal.eventTypes, name);
  };
  return {
    list(req, res) {
      const may = writable(req);
      const body = JSON.stringify({ eventTypes: summaries.filter((summary) => may(summary.name)) });
      res.status(200).type('application/json').send(body);
    },
    schema(req, res, next) {
      const name = String(req.params.type);
      const type = eventTypes.get(name);
      const may = writable(req);
      if (type === undefined) {
        const knownTypes = [...eventTypes.keys()].filter(may);
        next(
          new GatewayError(
            'GW_ERR_UNKNOWN_TYPE',
            `No event type ${JSON.stringify(name.slice(0, 64))}; known types: ${knownTypes.join(', ')}.`,
            { extensions: { knownTypes } },
          ),
        );
        return;
      }
      if (!may(type.name)) {
        next(
          new GatewayError(
            'GW_ERR_FORBIDDEN',
            `This API key may not write events of type ${JSON.stringify(type.name)}.`,
          ),
        );
        return;
      }
      res.status(200).type(SCHEMA_CONTENT_TYPE).send(type.schemaText);
    },
  };
}
