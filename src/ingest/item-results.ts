/**
 * The answer to a request whose readings did not all end up stored (lenient handling, dead-letter
 * rules): one result per reading, in request order, so a device can act on each (drop what was
 * stored or dead-lettered, fix what was rejected, retry what failed), plus the totals and the same
 * `errors` list a 422 gives. Pure.
 */
import type { EventProblem } from './prepare-events';

export type ItemResult =
  | { readonly status: 'stored'; readonly messageId: string; readonly partitionId: string }
  | {
      readonly status: 'dead-lettered';
      readonly code: string;
      readonly pointer: string;
      readonly message: string;
      readonly messageId: string;
      readonly partitionId: string;
    }
  | { readonly status: 'rejected'; readonly code: string; readonly pointer: string; readonly message: string }
  | { readonly status: 'failed'; readonly code: string; readonly retryable: boolean };

export interface ItemResults {
  readonly count: number;
  readonly requestId: string;
  readonly dryRun?: true;
  readonly stored: number;
  readonly deadLettered: number;
  readonly rejected: number;
  readonly failed: number;
  readonly events: readonly ItemResult[];
  readonly errors: readonly EventProblem[];
  readonly errorCount: number;
  readonly truncated: boolean;
}

export function itemResultsJson(
  requestId: string,
  results: readonly ItemResult[],
  problems: { readonly errors: readonly EventProblem[]; readonly errorCount: number },
  dryRun: boolean,
): string {
  const tally = { stored: 0, 'dead-lettered': 0, rejected: 0, failed: 0 };
  for (const result of results) tally[result.status]++;
  const body: ItemResults = {
    count: results.length,
    requestId,
    ...(dryRun ? { dryRun: true as const } : {}),
    stored: tally.stored,
    deadLettered: tally['dead-lettered'],
    rejected: tally.rejected,
    failed: tally.failed,
    events: results,
    errors: problems.errors,
    errorCount: problems.errorCount,
    truncated: problems.errorCount > problems.errors.length,
  };
  return JSON.stringify(body);
}
