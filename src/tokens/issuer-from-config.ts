/**
 * Builds the token issuer from the gateway's config and target. The namespace endpoint is the one
 * the gateway itself sends to (connection string Endpoint, the managed-identity namespace, or the
 * embedded emulator once started). Signing policies come from SAS_SEND_KEY(_NAME) and
 * SAS_LISTEN_KEY(_NAME); only an emulator target falls back to the emulator's well-known
 * gateway-send / gateway-listen policies. The gateway's own connection-string key is never used.
 */

import { LISTEN_POLICY, SEND_POLICY } from '../../emulator/well-known';
import { parseConnectionString, type Config } from '../config/load-config';
import { createTokenIssuer, type TokenIssuer } from './token-issuer';

export interface EmbeddedEndpoints {
  /** The embedded emulator's connection string (its Endpoint is used). */
  readonly connectionString: string;
  /** The embedded emulator's REST send URL, when it runs one. */
  readonly restUrl?: string | undefined;
}

function endpointOf(config: Pick<Config, 'target'>, embedded: EmbeddedEndpoints | undefined): string {
  const target = config.target;
  switch (target.kind) {
    case 'connection-string':
      return parseConnectionString(target.connectionString).Endpoint ?? '';
    case 'azure-identity':
      return `sb://${target.fullyQualifiedNamespace}/`;
    case 'embedded-emulator':
      if (embedded === undefined)
        throw new Error('tokenIssuerFromConfig: the embedded emulator must be started first');
      return parseConnectionString(embedded.connectionString).Endpoint ?? '';
  }
}

export function tokenIssuerFromConfig(
  config: Pick<Config, 'target' | 'auth' | 'tokens'>,
  embedded?: EmbeddedEndpoints,
): TokenIssuer {
  const development = config.auth.developmentMode;
  return createTokenIssuer({
    endpoint: endpointOf(config, embedded),
    eventHub: config.target.eventHubName,
    sendPolicy: config.tokens.sendPolicy ?? (development ? SEND_POLICY : undefined),
    listenPolicy: config.tokens.listenPolicy ?? (development ? LISTEN_POLICY : undefined),
    defaultTtlSeconds: config.tokens.defaultTtlSeconds,
    maxTtlSeconds: config.tokens.maxTtlSeconds,
    useDevelopmentEmulator: development,
    restBaseUrl: config.tokens.restUrl ?? embedded?.restUrl,
  });
}
