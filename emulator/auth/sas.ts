/**
 * SAS token verification, shared by the AMQP CBS handler and the REST send path. Pure: the clock
 * is passed in. The HMAC is recomputed over the raw, still-encoded `sr` exactly as transmitted,
 * because SDKs differ in how they percent-encode it and the token carries what was signed.
 * Coverage is by resource-path prefix, ignoring scheme, port, case and trailing slashes. The host
 * is checked as the service checks its namespace: a token whose `sr` names another namespace host
 * than the audience (which the client builds from its connection string's Endpoint) is refused,
 * even with a valid signature. The loopback names (`localhost`, `127.0.0.1`, `::1`) are one
 * namespace, the emulator's own; a bare path (no host) names none and is judged by path alone.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Right, SasPolicy } from '../well-known';

export interface ParsedSasToken {
  /** `sr` exactly as transmitted (percent-encoded); this is what was signed. */
  readonly rawResource: string;
  /** `sr` decoded. */
  readonly resource: string;
  readonly signature: string;
  readonly rawExpiry: string;
  /** Unix seconds. */
  readonly expiry: number;
  readonly keyName: string;
}

export type SasFailure = 'malformed' | 'unknown-policy' | 'bad-signature' | 'expired' | 'audience' | 'rights';

export type SasVerification =
  | {
      readonly ok: true;
      readonly policy: SasPolicy;
      readonly token: ParsedSasToken;
      readonly expiresAtMs: number;
    }
  | { readonly ok: false; readonly reason: SasFailure; readonly message: string };

export interface VerifyOptions {
  readonly policies: readonly SasPolicy[];
  /** The resource being accessed (a URI or a path); omitted = any resource. */
  readonly audience?: string;
  /** The policy must hold at least one of these rights; omitted or empty = any. */
  readonly anyOfRights?: readonly Right[];
  /** Milliseconds since the epoch. */
  readonly now: number;
}

const PREFIX = 'SharedAccessSignature ';

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

export function parseSasToken(token: string): ParsedSasToken | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  const fields = new Map<string, string>();
  for (const part of token.slice(PREFIX.length).trim().split('&')) {
    const at = part.indexOf('=');
    if (at <= 0) return undefined;
    fields.set(part.slice(0, at), part.slice(at + 1));
  }
  const rawResource = fields.get('sr');
  const rawSig = fields.get('sig');
  const rawExpiry = fields.get('se');
  const rawKeyName = fields.get('skn');
  if (
    rawResource === undefined ||
    rawSig === undefined ||
    rawExpiry === undefined ||
    rawKeyName === undefined
  ) {
    return undefined;
  }
  const resource = safeDecode(rawResource);
  const signature = safeDecode(rawSig);
  const keyName = safeDecode(rawKeyName);
  if (resource === undefined || signature === undefined || keyName === undefined) return undefined;
  if (!/^\d{1,15}$/.test(rawExpiry)) return undefined;
  return { rawResource, resource, signature, rawExpiry, expiry: Number(rawExpiry), keyName };
}

/**
 * The path part of a resource URI, lowercased, without leading or trailing slashes:
 * `sb://LocalHost:5672/Hub/Partitions/0/` → `hub/partitions/0`. A bare path is accepted too.
 */
export function resourcePath(uri: string): string {
  let rest = uri.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) {
    rest = rest.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  return rest.replace(/^\/+|\/+$/g, '').toLowerCase();
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The host of a resource URI, lowercased, without port; undefined for a bare path. */
export function resourceHost(uri: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)/i.exec(uri.trim());
  if (match === null) return undefined;
  const authority = match[1]!.toLowerCase();
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.lastIndexOf(':');
  return colon < 0 ? authority : authority.slice(0, colon);
}

/** Whether two resource URIs name the same namespace host (a bare path names any). */
export function sameNamespace(a: string, b: string): boolean {
  const hostA = resourceHost(a);
  const hostB = resourceHost(b);
  if (hostA === undefined || hostB === undefined || hostA === hostB) return true;
  return LOOPBACK.has(hostA) && LOOPBACK.has(hostB);
}

/** True when `resource` is `target` or one of its ancestors, segment-wise (`hub` covers `hub/x`, not `hubx`). */
export function covers(resource: string, target: string): boolean {
  const a = resourcePath(resource);
  const b = resourcePath(target);
  return a === '' || a === b || b.startsWith(`${a}/`);
}

export function signSasToken(rawResource: string, policy: SasPolicy, expiry: number): string {
  return createHmac('sha256', policy.key).update(`${rawResource}\n${expiry}`).digest('base64');
}

export function verifySasToken(token: string, options: VerifyOptions): SasVerification {
  const parsed = parseSasToken(token);
  if (!parsed)
    return {
      ok: false,
      reason: 'malformed',
      message: 'The token is not a well-formed SharedAccessSignature.',
    };
  const policy = options.policies.find((p) => p.name === parsed.keyName);
  if (!policy) return { ok: false, reason: 'unknown-policy', message: `Unknown policy '${parsed.keyName}'.` };
  const expected = createHmac('sha256', policy.key)
    .update(`${parsed.rawResource}\n${parsed.rawExpiry}`)
    .digest();
  const given = Buffer.from(parsed.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature', message: 'The token signature does not match.' };
  }
  if (parsed.expiry * 1000 <= options.now)
    return { ok: false, reason: 'expired', message: 'The token has expired.' };
  if (options.audience !== undefined && !sameNamespace(parsed.resource, options.audience)) {
    return {
      ok: false,
      reason: 'audience',
      message: `The token is for namespace host '${resourceHost(parsed.resource) ?? ''}', not '${resourceHost(options.audience) ?? ''}'.`,
    };
  }
  if (options.audience !== undefined && !covers(parsed.resource, options.audience)) {
    return {
      ok: false,
      reason: 'audience',
      message: `The token's resource '${parsed.resource}' does not cover '${options.audience}'.`,
    };
  }
  const wanted = options.anyOfRights ?? [];
  if (wanted.length > 0 && !wanted.some((right) => policy.rights.includes(right))) {
    return {
      ok: false,
      reason: 'rights',
      message: `Policy '${policy.name}' lacks the ${wanted.join(' or ')} right for this operation.`,
    };
  }
  return { ok: true, policy, token: parsed, expiresAtMs: parsed.expiry * 1000 };
}
