/**
 * The token service's decisions: which resource, which signing policy, how long. Least privilege
 * throughout: a token is scoped to one publisher (send) or one hub (send or listen), is signed
 * with a dedicated Send-only or Listen-only policy (never the gateway's own connection-string
 * key, which may hold Manage), and never outlives the smaller of the gateway's and the key's
 * maximum TTL — a request above either is refused, not shortened. Pure: `now` is passed in.
 */

import { GatewayError } from '../errors';
import { matchesAny } from '../auth/patterns';
import type { Principal } from '../auth/principal';
import { signSas } from './sign-sas';
import type { TokenRequest } from './token-request';

export interface SasPolicyConfig {
  readonly name: string;
  readonly key: string;
}

export interface TokenIssuerOptions {
  /** Namespace endpoint, `sb://host[:port]/`. */
  readonly endpoint: string;
  readonly eventHub: string;
  /** From SAS_SEND_KEY_NAME / SAS_SEND_KEY; undefined = send tokens answer 501. */
  readonly sendPolicy: SasPolicyConfig | undefined;
  /** From SAS_LISTEN_KEY_NAME / SAS_LISTEN_KEY; undefined = listen tokens answer 501. */
  readonly listenPolicy: SasPolicyConfig | undefined;
  readonly defaultTtlSeconds?: number;
  readonly maxTtlSeconds?: number;
  /** Adds `;UseDevelopmentEmulator=true` to connection strings (plain AMQP, no TLS). From config. */
  readonly useDevelopmentEmulator?: boolean;
  /**
   * Base of the Event Hubs REST API that publishers POST to. Defaults to `https://<host>` for a
   * real namespace; the emulator's REST port must be given (no default, so none is guessed).
   */
  readonly restBaseUrl?: string;
}

export interface IssuedToken {
  /** `SharedAccessSignature sr=...&sig=...&se=...&skn=...`: the `Authorization` header value. */
  readonly token: string;
  readonly expiresAt: string;
  readonly expiresOn: number;
  readonly resource: string;
  readonly namespace: string;
  readonly eventHub: string;
  readonly scope: 'publisher' | 'hub';
  readonly access: 'send' | 'listen';
  readonly publisher?: string;
  /** Hub tokens: a connection string for the SDKs. (The SDKs cannot address a publisher.) */
  readonly connectionString?: string;
  /** Publisher tokens: where to POST events with `Authorization: <token>`. */
  readonly restUrl?: string;
}

export interface TokenIssuer {
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /** Throws `GatewayError` (400, 403, 501) when the request cannot be granted. */
  issue(principal: Principal, request: TokenRequest, nowMs: number): IssuedToken;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 900;
export const DEFAULT_MAX_TOKEN_TTL_SECONDS = 3600;

const forbidden = (detail: string): GatewayError => new GatewayError('GW_ERR_FORBIDDEN', detail);

export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const defaultTtlSeconds = options.defaultTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const maxTtlSeconds = options.maxTtlSeconds ?? DEFAULT_MAX_TOKEN_TTL_SECONDS;
  if (!Number.isSafeInteger(maxTtlSeconds) || maxTtlSeconds < 1)
    throw new Error('maxTtlSeconds (TOKEN_MAX_TTL_SECONDS) must be a positive integer');
  if (!Number.isSafeInteger(defaultTtlSeconds) || defaultTtlSeconds < 1 || defaultTtlSeconds > maxTtlSeconds)
    throw new Error(
      `defaultTtlSeconds (TOKEN_DEFAULT_TTL_SECONDS) must be 1..maxTtlSeconds (${maxTtlSeconds}), got ${defaultTtlSeconds}`,
    );
  let endpointUrl: URL;
  try {
    endpointUrl = new URL(options.endpoint);
  } catch {
    throw new Error(`endpoint must be a URI like sb://host[:port]/, got ${JSON.stringify(options.endpoint)}`);
  }
  if (endpointUrl.protocol !== 'sb:' || endpointUrl.host === '')
    throw new Error(`endpoint must be a URI like sb://host[:port]/, got ${JSON.stringify(options.endpoint)}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/.test(options.eventHub))
    throw new Error(`eventHub ${JSON.stringify(options.eventHub)} is not a valid event hub name`);
  const namespace = endpointUrl.host;
  const endpoint = `sb://${namespace}/`;
  const hubUri = `${endpoint}${options.eventHub}`;
  const emulatorFlag = options.useDevelopmentEmulator === true ? ';UseDevelopmentEmulator=true' : '';
  const restBase = (
    options.restBaseUrl ??
    (options.useDevelopmentEmulator === true ? undefined : `https://${endpointUrl.hostname}`)
  )?.replace(/\/+$/, '');

  function policyFor(access: 'send' | 'listen'): SasPolicyConfig {
    const policy = access === 'send' ? options.sendPolicy : options.listenPolicy;
    if (policy !== undefined) return policy;
    const prefix = access === 'send' ? 'SAS_SEND_KEY' : 'SAS_LISTEN_KEY';
    throw new GatewayError(
      'GW_ERR_NOT_CONFIGURED',
      `${access === 'send' ? 'Send' : 'Listen'} tokens are not available: ${prefix}_NAME and ${prefix} are not set on the gateway.`,
      { extensions: { missing: [`${prefix}_NAME`, prefix] } },
    );
  }

  function ttlFor(principal: Principal, requested: number | undefined): number {
    const keyMax = principal.tokens.maxTtlSeconds;
    if (requested === undefined) return Math.min(defaultTtlSeconds, keyMax ?? defaultTtlSeconds);
    if (requested > maxTtlSeconds)
      throw new GatewayError(
        'GW_ERR_BAD_REQUEST',
        `ttlSeconds ${requested} exceeds the gateway's maximum of ${maxTtlSeconds}.`,
        {
          extensions: { maxTtlSeconds },
        },
      );
    if (keyMax !== undefined && requested > keyMax)
      throw new GatewayError(
        'GW_ERR_BAD_REQUEST',
        `ttlSeconds ${requested} exceeds this API key's maximum of ${keyMax}.`,
        {
          extensions: { maxTtlSeconds: keyMax },
        },
      );
    return requested;
  }

  return Object.freeze({
    defaultTtlSeconds,
    maxTtlSeconds,
    issue(principal: Principal, request: TokenRequest, nowMs: number): IssuedToken {
      if (!principal.scopes.has('tokens:issue'))
        throw forbidden('This API key lacks the scope tokens:issue.');
      const access = request.scope === 'publisher' ? 'send' : request.access;
      if (request.scope === 'publisher' && !matchesAny(principal.tokens.publishers, request.publisher))
        throw forbidden(
          `This API key may not request tokens for publisher ${JSON.stringify(request.publisher)}.`,
        );
      if (request.scope === 'hub' && !principal.tokens.hub.has(access))
        throw forbidden(`This API key may not request hub-wide ${access} tokens.`);
      const ttl = ttlFor(principal, request.ttlSeconds);
      const policy = policyFor(access);
      const expiresOn = Math.floor(nowMs / 1000) + ttl;
      const resource = request.scope === 'publisher' ? `${hubUri}/publishers/${request.publisher}` : hubUri;
      const token = signSas({
        resourceUri: resource,
        keyName: policy.name,
        key: policy.key,
        expiresAt: expiresOn,
      });
      const common = {
        token,
        expiresAt: new Date(expiresOn * 1000).toISOString(),
        expiresOn,
        resource,
        namespace,
        eventHub: options.eventHub,
        scope: request.scope,
        access,
      } as const;
      if (request.scope === 'publisher')
        return {
          ...common,
          publisher: request.publisher,
          ...(restBase === undefined
            ? {}
            : { restUrl: `${restBase}/${options.eventHub}/publishers/${request.publisher}/messages` }),
        };
      return {
        ...common,
        connectionString: `Endpoint=${endpoint};SharedAccessSignature=${token};EntityPath=${options.eventHub}${emulatorFlag}`,
      };
    },
  });
}
