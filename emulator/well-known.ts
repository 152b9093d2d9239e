/**
 * Well-known development credentials of the local emulator, published on purpose (like Azurite's
 * account key): they protect nothing and must never be used against a real namespace.
 */

export type Right = 'Manage' | 'Send' | 'Listen';

export interface SasPolicy {
  readonly name: string;
  readonly key: string;
  readonly rights: readonly Right[];
}

/** Full rights; what `npm start` and the tests use to connect the gateway's producer. */
export const ROOT_POLICY: SasPolicy = Object.freeze({
  name: 'RootManageSharedAccessKey',
  key: 'ZGV2LW9ubHktcm9vdC1rZXktZm9yLXRoZS1sb2NhbC1lbXVsYXRvcg==',
  rights: Object.freeze(['Manage', 'Send', 'Listen'] as const),
});

/** Send only; the gateway signs partner send tokens (hub or publisher) with it. */
export const SEND_POLICY: SasPolicy = Object.freeze({
  name: 'gateway-send',
  key: 'ZGV2LW9ubHktc2VuZC1rZXktZm9yLXRoZS1sb2NhbC1lbXVsYXRvcg==',
  rights: Object.freeze(['Send'] as const),
});

/** Listen only; the gateway signs partner listen tokens with it. */
export const LISTEN_POLICY: SasPolicy = Object.freeze({
  name: 'gateway-listen',
  key: 'ZGV2LW9ubHktbGlzdGVuLWtleS1mb3ItdGhlLWxvY2FsLWVtdWxhdG9y',
  rights: Object.freeze(['Listen'] as const),
});

export const WELL_KNOWN_POLICIES: readonly SasPolicy[] = Object.freeze([
  ROOT_POLICY,
  SEND_POLICY,
  LISTEN_POLICY,
]);

export const DEFAULT_HUB = 'telemetry';
export const DEFAULT_PARTITION_COUNT = 4;
/** The development default's dead-letter hub (DEAD_LETTER_EVENTHUB_NAME of `npm start`). */
export const DEFAULT_DEAD_LETTER_HUB = 'dead-letter';
export const DEFAULT_DEAD_LETTER_PARTITION_COUNT = 2;
export const DEFAULT_AMQP_PORT = 5672;
