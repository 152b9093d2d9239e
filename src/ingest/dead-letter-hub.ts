/**
 * The dead-letter hub's place in the composition: its sink target (the event hub's namespace and
 * credentials, another hub name) and the start-up check that every event type with a
 * `dead-letter` rule has somewhere to send to. Fails closed: a rule that could only drop readings
 * stops the start with one line naming the setting.
 */
import { ConfigError } from '../config/load-config';
import type { EventHubsTarget } from '../sink/event-hubs-sink';
import type { EventTypeRegistry } from './event-types';

/** The same namespace and credential, hub `hub`; a connection string's EntityPath is dropped. */
export function deadLetterTarget(target: EventHubsTarget, hub: string): EventHubsTarget {
  if ('connectionString' in target) {
    const connectionString = target.connectionString
      .split(';')
      .filter((part) => !/^\s*EntityPath\s*=/i.test(part))
      .join(';');
    return { connectionString, eventHubName: hub };
  }
  return { ...target, eventHubName: hub };
}

/** Throws ConfigError when a type diverts readings to a dead-letter hub that is not configured. */
export function checkDeadLetterRules(eventTypes: EventTypeRegistry, deadLetterHub: string | undefined): void {
  if (deadLetterHub !== undefined) return;
  const problems: string[] = [];
  for (const type of eventTypes.values()) {
    const rules = type.eventTime;
    if (rules === undefined) continue;
    for (const [kind, action] of [
      ['late', rules.late],
      ['future', rules.future],
    ] as const)
      if (action === 'dead-letter')
        problems.push(
          `DEAD_LETTER_EVENTHUB_NAME: required by event type "${type.name}" (eventTime.${kind} is dead-letter)`,
        );
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
