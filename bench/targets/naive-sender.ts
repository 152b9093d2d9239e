/**
 * Target 3, the naive sender (the seed document's pattern): the typical Express stack plus one
 * `createBatch` + `sendBatch` per HTTP request, awaited before answering, keyed by the first
 * reading's sensor id. Durable like the gateway, but every request pays a full AMQP round trip
 * and the hub receives one small message per request.
 */
import { createServer } from 'node:http';
import { EventHubProducerClient } from '@azure/event-hubs';
import { createTypicalApp } from './typical-stack';
import { serve } from './serve';

const connectionString = process.env.EVENTHUB_CONNECTION_STRING;
if (connectionString === undefined || connectionString === '') {
  throw new Error('naive-sender needs EVENTHUB_CONNECTION_STRING (the bench passes the emulator process)');
}
const hub = process.env.EVENTHUB_NAME ?? 'telemetry';
const producer = /;EntityPath=/i.test(connectionString)
  ? new EventHubProducerClient(connectionString)
  : new EventHubProducerClient(connectionString, hub);

const app = createTypicalApp(async (events, _req, res) => {
  const key = events[0]?.sensor_id;
  const batch = await producer.createBatch({ partitionKey: typeof key === 'string' ? key : '' });
  for (const event of events) {
    if (!batch.tryAdd({ body: event })) throw new Error('request does not fit one batch');
  }
  await producer.sendBatch(batch);
  res.json({ accepted: events.length });
});

serve(createServer(app), () => producer.close());
