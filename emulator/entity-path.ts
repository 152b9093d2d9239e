/**
 * Names the Event Hubs entity an AMQP address or CBS audience refers to. Keywords
 * (`Partitions`, `ConsumerGroups`, `publishers`, `$management`) match case-insensitively; the
 * names inside keep their case. Pure, so CBS, link attach and REST all classify paths alike.
 */
import type { Right } from './well-known';

export type EntityPath =
  | { readonly kind: 'namespace' }
  | { readonly kind: 'hub'; readonly hub: string }
  | { readonly kind: 'partition'; readonly hub: string; readonly partitionId: string }
  | { readonly kind: 'publisher'; readonly hub: string; readonly publisher: string }
  | { readonly kind: 'consumer-group'; readonly hub: string; readonly consumerGroup: string }
  | {
      readonly kind: 'consumer';
      readonly hub: string;
      readonly consumerGroup: string;
      readonly partitionId: string;
    }
  | { readonly kind: 'management'; readonly hub: string };

function stripToPath(address: string): string {
  let rest = address.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) {
    rest = rest.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  return rest.replace(/^\/+|\/+$/g, '');
}

export function parseEntityPath(address: string): EntityPath | undefined {
  const path = stripToPath(address);
  if (path === '') return { kind: 'namespace' };
  const parts = path.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [hub, k1, v1, k2, v2, ...extra] = parts;
  if (hub === undefined || hub === '' || extra.length > 0) return undefined;
  const key = (s: string | undefined): string | undefined => s?.toLowerCase();
  if (k1 === undefined) return { kind: 'hub', hub };
  if (key(k1) === '$management' && v1 === undefined) return { kind: 'management', hub };
  if (v1 === undefined || v1 === '') return undefined;
  if (key(k1) === 'partitions' && k2 === undefined) return { kind: 'partition', hub, partitionId: v1 };
  if (key(k1) === 'publishers' && k2 === undefined) return { kind: 'publisher', hub, publisher: v1 };
  if (key(k1) === 'consumergroups') {
    if (k2 === undefined) return { kind: 'consumer-group', hub, consumerGroup: v1 };
    if (key(k2) === 'partitions' && v2 !== undefined && v2 !== '') {
      return { kind: 'consumer', hub, consumerGroup: v1, partitionId: v2 };
    }
  }
  return undefined;
}

/** The rights a policy needs to hold (any one of them) to act on this entity. */
export function rightsFor(entity: EntityPath): readonly Right[] {
  switch (entity.kind) {
    case 'hub':
    case 'partition':
    case 'publisher':
      return ['Send'];
    case 'consumer-group':
    case 'consumer':
      return ['Listen'];
    case 'management':
      return ['Manage', 'Listen'];
    case 'namespace':
      return [];
  }
}
