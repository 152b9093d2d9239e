/**
 * Test support for the emulator suite: SDK clients with small retry options (the SDK default of
 * 30 s per retry would stall every fault test), SAS connection strings minted by hand for the
 * authorisation tests, and a helper that reads events back through `subscribe`.
 */
import { createHmac } from 'node:crypto';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  type EventPosition,
  type ReceivedEventData,
  type RetryOptions,
} from '@azure/event-hubs';
import type { Emulator } from '../../../emulator/index';
import type { SasPolicy } from '../../../emulator/well-known';

export const FAST_RETRY: RetryOptions = { maxRetries: 0, retryDelayInMs: 20, timeoutInMs: 5000 };

export function producerFor(
  connectionString: string,
  retryOptions: RetryOptions = FAST_RETRY,
): EventHubProducerClient {
  return new EventHubProducerClient(connectionString, { retryOptions });
}

export function consumerFor(
  connectionString: string,
  consumerGroup = '$Default',
  retryOptions: RetryOptions = FAST_RETRY,
): EventHubConsumerClient {
  return new EventHubConsumerClient(consumerGroup, connectionString, { retryOptions });
}

/** A token exactly as the SDK signs one; `resource` is the full URI the token is scoped to. */
export function sasToken(resource: string, policy: SasPolicy, expirySeconds: number): string {
  const sr = encodeURIComponent(resource);
  const sig = createHmac('sha256', policy.key).update(`${sr}\n${expirySeconds}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expirySeconds}&skn=${encodeURIComponent(policy.name)}`;
}

export interface TokenConnectionOptions {
  /** Path under the endpoint the token covers, e.g. 'telemetry' or 'telemetry/publishers/dev-1'. */
  readonly resourcePath: string;
  readonly policy: SasPolicy;
  /** Unix seconds; default one hour from now. */
  readonly expiry?: number;
  /** EntityPath; default the emulator's first hub. */
  readonly hub?: string;
}

export function tokenConnectionString(emulator: Emulator, options: TokenConnectionOptions): string {
  const expiry = options.expiry ?? Math.floor(Date.now() / 1000) + 3600;
  const token = sasToken(`${emulator.endpoint}${options.resourcePath}`, options.policy, expiry);
  const hub = options.hub ?? emulator.config.hubs[0]?.name ?? '';
  return `Endpoint=sb://${emulator.host}:${emulator.port};SharedAccessSignature=${token};EntityPath=${hub};UseDevelopmentEmulator=true`;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Subscribes to one partition until `count` events arrived (or `timeoutMs` passed), then closes. */
export async function readEvents(
  consumer: EventHubConsumerClient,
  partitionId: string,
  startPosition: EventPosition,
  count: number,
  timeoutMs = 8000,
): Promise<ReceivedEventData[]> {
  const received: ReceivedEventData[] = [];
  let subscription: { close(): Promise<void> } | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readEvents: ${received.length} of ${count} events after ${timeoutMs} ms`)),
        timeoutMs,
      );
      subscription = consumer.subscribe(
        partitionId,
        {
          processEvents: (events) => {
            received.push(...events);
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
          processError: (error) => {
            clearTimeout(timer);
            reject(error);
            return Promise.resolve();
          },
        },
        { startPosition, maxWaitTimeInSeconds: 0.2, maxBatchSize: 50 },
      );
    });
  } finally {
    await subscription?.close();
  }
  return received;
}
