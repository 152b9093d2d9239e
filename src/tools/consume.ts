/**
 * `npm run consume [-- --from-start] [-- --consumer-group NAME] [-- --hub NAME]`: tails the hub the
 * gateway sends to (or another hub of its namespace, e.g. `--hub dead-letter`), printing each
 * event as it arrives (partition, sequence number, properties, body), so a curl user can watch
 * readings land. The target comes from the same configuration as the gateway; with no Azure
 * setting it reads the embedded emulator at 127.0.0.1:EMULATOR_PORT with its well-known key.
 * Before tailing it asks the hub for its partitions with one short attempt, so a namespace that
 * is not there fails within seconds, naming the address, instead of retrying for minutes.
 */
import {
  earliestEventPosition,
  EventHubConsumerClient,
  latestEventPosition,
  type EventHubClientOptions,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { ROOT_POLICY } from '../../emulator/well-known';
import { loadConfig, parseConnectionString, type Target } from '../config/load-config';

export interface ConsumeArgs {
  readonly fromStart: boolean;
  readonly consumerGroup: string;
  /** Another hub of the same namespace (default: the gateway's). */
  readonly hub: string | undefined;
}

/** How long the first contact with the hub may take before the tool gives up. */
export const PROBE_TIMEOUT_MS = 5000;

export function parseArgs(argv: readonly string[]): ConsumeArgs {
  let fromStart = false;
  let consumerGroup = EventHubConsumerClient.defaultConsumerGroupName;
  let hub: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--from-start') fromStart = true;
    else if (arg === '--consumer-group' && argv[i + 1] !== undefined) consumerGroup = argv[++i] as string;
    else if (arg === '--hub' && argv[i + 1] !== undefined) hub = argv[++i];
    else
      throw new Error(`unknown argument ${arg}; use --from-start, --consumer-group NAME and/or --hub NAME`);
  }
  return { fromStart, consumerGroup, hub };
}

/** `host:port` the client will dial, for error messages. */
export function addressOf(target: Target): string {
  switch (target.kind) {
    case 'connection-string': {
      const endpoint = parseConnectionString(target.connectionString).Endpoint ?? '';
      const host = endpoint.replace(/^sb:\/\//, '').replace(/\/$/, '');
      return host.includes(':') ? host : `${host}:5671`;
    }
    case 'embedded-emulator':
      return `127.0.0.1:${target.port}`;
    case 'azure-identity':
      return `${target.fullyQualifiedNamespace}:5671`;
  }
}

/** The emulator's connection string, as the gateway's embedded one publishes it. */
export function emulatorConnectionString(port: number, hub: string): string {
  return [
    `Endpoint=sb://127.0.0.1:${port}`,
    `SharedAccessKeyName=${ROOT_POLICY.name}`,
    `SharedAccessKey=${ROOT_POLICY.key}`,
    `EntityPath=${hub}`,
    'UseDevelopmentEmulator=true',
  ].join(';');
}

/** One event as two or more lines: a header, the application properties, the body as received. */
export function formatEvent(partitionId: string, event: ReceivedEventData): string {
  const body = Buffer.isBuffer(event.body) ? event.body.toString('utf8') : JSON.stringify(event.body);
  const header = [
    `partition ${partitionId}`,
    `seq ${event.sequenceNumber}`,
    `enqueued ${event.enqueuedTimeUtc.toISOString()}`,
    event.messageId === undefined ? undefined : `id ${String(event.messageId)}`,
  ]
    .filter((part) => part !== undefined)
    .join(' | ');
  return `${header}\n  properties ${JSON.stringify(event.properties ?? {})}\n  body ${body}\n`;
}

/** The connection string without `EntityPath`, so the hub can be named separately. */
function withoutEntityPath(connectionString: string): string {
  return connectionString
    .split(';')
    .filter((part) => !/^\s*EntityPath\s*=/i.test(part))
    .join(';');
}

async function createClient(
  target: Target,
  hub: string,
  consumerGroup: string,
  options: EventHubClientOptions = {},
): Promise<EventHubConsumerClient> {
  switch (target.kind) {
    case 'connection-string':
      return new EventHubConsumerClient(
        consumerGroup,
        withoutEntityPath(target.connectionString),
        hub,
        options,
      );
    case 'embedded-emulator':
      return new EventHubConsumerClient(consumerGroup, emulatorConnectionString(target.port, hub), options);
    case 'azure-identity': {
      const { DefaultAzureCredential } = await import('@azure/identity');
      return new EventHubConsumerClient(
        consumerGroup,
        target.fullyQualifiedNamespace,
        hub,
        new DefaultAzureCredential(),
        options,
      );
    }
  }
}

/** One short attempt at the hub's partitions; throws a one-line error naming the address and hub. */
async function probe(target: Target, hub: string, consumerGroup: string): Promise<void> {
  const client = await createClient(target, hub, consumerGroup, {
    retryOptions: { maxRetries: 0, timeoutInMs: PROBE_TIMEOUT_MS },
  });
  try {
    await client.getPartitionIds({ abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    const reason = error instanceof Error && error.message !== '' ? error.message : String(error);
    throw new Error(
      `cannot read hub "${hub}" at ${addressOf(target)}: ${reason}. Is the gateway (npm start) or npm run emulator running there?`,
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(process.env);
  const hub = args.hub ?? config.target.eventHubName;
  await probe(config.target, hub, args.consumerGroup);
  const client = await createClient(config.target, hub, args.consumerGroup);
  process.stderr.write(
    `tailing hub "${hub}" at ${addressOf(config.target)} (${config.target.kind}, ${args.fromStart ? 'from the start' : 'new events only'}); Ctrl+C to stop\n`,
  );
  const subscription = client.subscribe(
    {
      processEvents: (events, context) => {
        for (const event of events) process.stdout.write(formatEvent(context.partitionId, event));
        return Promise.resolve();
      },
      processError: (error, context) => {
        process.stderr.write(`partition ${context.partitionId || '-'}: ${error.message}\n`);
        return Promise.resolve();
      },
    },
    {
      startPosition: args.fromStart ? earliestEventPosition : latestEventPosition,
      skipParsingBodyAsJson: true,
      maxWaitTimeInSeconds: 1,
    },
  );
  const stop = (): void => {
    subscription
      .close()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
