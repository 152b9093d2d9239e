/**
 * The telemetry JSON Schema the baseline targets validate with: the gateway's own
 * `schemas/telemetry.schema.json` when present, so baseline and gateway do the same validation
 * work, else the bench's fallback copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = [
  join(process.cwd(), 'schemas', 'telemetry.schema.json'),
  join(__dirname, '..', 'telemetry.schema.json'),
];

export function loadTelemetrySchema(): { path: string; schema: Record<string, unknown> } {
  const path = CANDIDATES.find((candidate) => existsSync(candidate)) ?? CANDIDATES[1]!;
  return { path, schema: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> };
}
