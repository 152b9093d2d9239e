/**
 * Who is calling: the grants of one API key, compiled for cheap per-request checks. A principal
 * never holds the key or its hash, so it can be logged (by id) or attached to a request safely.
 */

import { compilePatterns, type CompiledPatterns } from './patterns';

export const SCOPES = ['events:write', 'tokens:issue', 'ops:read'] as const;
export type Scope = (typeof SCOPES)[number];

export const HUB_ACCESS = ['send', 'listen'] as const;
export type HubAccess = (typeof HUB_ACCESS)[number];

/** What a key may ask of `POST /v1/tokens`. */
export interface TokenGrant {
  readonly publishers: CompiledPatterns;
  readonly hub: ReadonlySet<HubAccess>;
  /** The key's own ceiling; the gateway-wide maximum still applies on top. */
  readonly maxTtlSeconds: number | undefined;
}

export interface Principal {
  /** The key's id from the key file; safe to log. */
  readonly keyId: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly eventTypes: CompiledPatterns;
  readonly sensors: CompiledPatterns;
  readonly tokens: TokenGrant;
}

/** The grants as written in the key file (also the input for the development principal). */
export interface GrantSpec {
  readonly id: string;
  readonly scopes: readonly Scope[];
  readonly eventTypes: readonly string[];
  readonly sensors: readonly string[];
  readonly tokens?: {
    readonly publishers?: readonly string[];
    readonly hub?: readonly HubAccess[];
    readonly maxTtlSeconds?: number;
  };
}

export function toPrincipal(spec: GrantSpec): Principal {
  return Object.freeze({
    keyId: spec.id,
    scopes: new Set(spec.scopes),
    eventTypes: compilePatterns(spec.eventTypes),
    sensors: compilePatterns(spec.sensors),
    tokens: Object.freeze({
      publishers: compilePatterns(spec.tokens?.publishers ?? []),
      hub: new Set(spec.tokens?.hub ?? []),
      maxTtlSeconds: spec.tokens?.maxTtlSeconds,
    }),
  });
}
