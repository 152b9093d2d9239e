/**
 * Request bodies of the REST send API → messages for `ingest`. A single event is the raw body;
 * a batch (`application/vnd.microsoft.servicebus.json`) is a JSON array of
 * `{ "Body": string, "UserProperties"?: {...}, "BrokerProperties"?: { "PartitionKey"?, "MessageId"?, "CorrelationId"? } }`.
 * A request-level `BrokerProperties` header (JSON) may carry the same broker properties for a
 * single event. All events of one request go to one partition, so their partition keys must agree.
 * Pure; throws `EmulatorError` (400) with what is wrong.
 */
import { EmulatorError } from '../errors';
import type { InnerMessage } from '../types';

export const BATCH_CONTENT_TYPE = 'application/vnd.microsoft.servicebus.json';

export interface ParsedRestBody {
  readonly messages: InnerMessage[];
  readonly partitionKey: string | undefined;
}

type Scalar = string | number | boolean;

const badRequest = (description: string): EmulatorError =>
  new EmulatorError('amqp:invalid-field', description, 400);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Broker {
  partitionKey?: string;
  messageId?: string;
  correlationId?: string;
}

function brokerProperties(value: unknown, where: string): Broker {
  if (value === undefined) return {};
  if (!isRecord(value)) throw badRequest(`${where} must be a JSON object.`);
  const broker: Broker = {};
  for (const [name, field] of [
    ['PartitionKey', 'partitionKey'],
    ['MessageId', 'messageId'],
    ['CorrelationId', 'correlationId'],
  ] as const) {
    const v = value[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw badRequest(`${where}.${name} must be a string.`);
    broker[field] = v;
  }
  return broker;
}

function userProperties(value: unknown, where: string): Record<string, Scalar> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw badRequest(`${where} must be a JSON object.`);
  const out: Record<string, Scalar> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw badRequest(`${where}.${name} must be a string, number or boolean.`);
    out[name] = v;
  }
  return out;
}

function toMessage(
  body: Buffer,
  broker: Broker,
  properties: Record<string, Scalar> | undefined,
): InnerMessage {
  return {
    body,
    ...(properties === undefined ? {} : { applicationProperties: properties }),
    ...(broker.messageId === undefined ? {} : { messageId: broker.messageId }),
    ...(broker.correlationId === undefined ? {} : { correlationId: broker.correlationId }),
  };
}

function agreeOnKey(keys: (string | undefined)[]): string | undefined {
  const distinct = new Set(keys.filter((key): key is string => key !== undefined));
  if (distinct.size > 1) throw badRequest('All events of one request must have the same PartitionKey.');
  const [key] = distinct;
  return key;
}

export function parseRestBody(
  body: Buffer,
  contentType: string | undefined,
  brokerHeader: string | undefined,
): ParsedRestBody {
  let headerBroker: Broker = {};
  if (brokerHeader !== undefined) {
    try {
      headerBroker = brokerProperties(JSON.parse(brokerHeader), 'The BrokerProperties header');
    } catch (error) {
      if (error instanceof EmulatorError) throw error;
      throw badRequest('The BrokerProperties header is not valid JSON.');
    }
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== BATCH_CONTENT_TYPE) {
    if (body.length === 0) throw badRequest('The request body is empty.');
    return { messages: [toMessage(body, headerBroker, undefined)], partitionKey: headerBroker.partitionKey };
  }
  let items: unknown;
  try {
    items = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The batch body is not valid JSON.');
  }
  if (!Array.isArray(items) || items.length === 0)
    throw badRequest('A batch body must be a non-empty JSON array of {"Body": ...} objects.');
  const keys: (string | undefined)[] = [headerBroker.partitionKey];
  const messages = items.map((item: unknown, index) => {
    const where = `Batch item ${index}`;
    if (!isRecord(item) || typeof item.Body !== 'string')
      throw badRequest(`${where} must be an object with a string "Body".`);
    const broker = {
      ...headerBroker,
      ...brokerProperties(item.BrokerProperties, `${where}.BrokerProperties`),
    };
    keys.push(broker.partitionKey);
    return toMessage(
      Buffer.from(item.Body, 'utf8'),
      broker,
      userProperties(item.UserProperties, `${where}.UserProperties`),
    );
  });
  return { messages, partitionKey: agreeOnKey(keys) };
}
