/**
 * `npm run consume [-- --from-start] [-- --consumer-group NAME]`: tails the hub the gateway sends
 * to, printing each event as it arrives (partition, sequence number, properties, body), so a curl
 * user can watch readings land. The target comes from the same configuration as the gateway; with
 * no Azure setting it reads the embedded emulator at 127.0.0.1:EMULATOR_PORT with its well-known key.
 */
import {
  earliestEventPosition,
  EventHubConsumerClient,
  latestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { ROOT_POLICY } from '../../emulator/well-known';
import { ConfigError, loadConfig, type Target } from '../config/load-config';

export interface ConsumeArgs {
  readonly fromStart: boolean;
  readonly consumerGroup: string;
}

export function parseArgs(argv: readonly string[]): ConsumeArgs {
  let fromStart = false;
  let consumerGroup = EventHubConsumerClient.defaultConsumerGroupName;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--from-start') fromStart = true;
    else if (arg === '--consumer-group' && argv[i + 1] !== undefined) consumerGroup = argv[++i] as string;
    else throw new Error(`unknown argument ${arg}; use --from-start and/or --consumer-group NAME`);
  }
  return { fromStart, consumerGroup };
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

async function createClient(target: Target, consumerGroup: string): Promise<EventHubConsumerClient> {
  switch (target.kind) {
    case 'connection-string':
      return new EventHubConsumerClient(consumerGroup, target.connectionString, target.eventHubName);
    case 'embedded-emulator':
      return new EventHubConsumerClient(
        consumerGroup,
        emulatorConnectionString(target.port, target.eventHubName),
      );
    case 'azure-identity': {
      const { DefaultAzureCredential } = await import('@azure/identity');
      return new EventHubConsumerClient(
        consumerGroup,
        target.fullyQualifiedNamespace,
        target.eventHubName,
        new DefaultAzureCredential(),
      );
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(process.env);
  const client = await createClient(config.target, args.consumerGroup);
  process.stderr.write(
    `tailing hub "${config.target.eventHubName}" (${config.target.kind}, ${args.fromStart ? 'from the start' : 'new events only'}); Ctrl+C to stop\n`,
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
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
