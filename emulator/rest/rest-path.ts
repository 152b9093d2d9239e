/**
 * The REST send paths of Event Hubs, as the service names them:
 *   POST /{hub}/messages                        → the hub (service-side routing)
 *   POST /{hub}/publishers/{name}/messages      → a publisher (partition key = publisher name)
 *   POST /{hub}/partitions/{id}/messages        → one partition
 * Returns the ingest target and the entity path the SAS token must cover. Pure.
 */
import type { IngestTarget } from '../types';

export interface RestTarget {
  readonly target: IngestTarget;
  /** The resource path the token must cover, e.g. `telemetry/publishers/sensor-1`. */
  readonly audience: string;
}

function decode(segment: string): string | undefined {
  try {
    const decoded = decodeURIComponent(segment);
    // A decoded '/' would change which entity is meant: refuse rather than guess.
    return decoded === '' || decoded.includes('/') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** `pathname` without the query string; undefined when it is not a send path. */
export function parseRestPath(pathname: string): RestTarget | undefined {
  const parts = pathname.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 2 || parts[parts.length - 1]?.toLowerCase() !== 'messages') return undefined;
  const segments = parts.slice(0, -1).map(decode);
  if (segments.some((segment) => segment === undefined)) return undefined;
  const [hub, keyword, value] = segments as string[];
  if (hub === undefined) return undefined;
  if (segments.length === 1) return { target: { hub }, audience: hub };
  if (segments.length !== 3 || value === undefined) return undefined;
  switch (keyword?.toLowerCase()) {
    case 'publishers':
      return { target: { hub, publisher: value }, audience: `${hub}/publishers/${value}` };
    case 'partitions':
      return { target: { hub, partitionId: value }, audience: `${hub}/Partitions/${value}` };
    default:
      return undefined;
  }
}
