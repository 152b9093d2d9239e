/**
 * The telemetry JSON Schema the baseline targets validate with: the gateway's own
 * `schemas/telemetry.schema.json`, so baselines and gateway do the same validation work.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SCHEMA_PATH = join(__dirname, '..', '..', 'schemas', 'telemetry.schema.json');

export function loadTelemetrySchema(): { path: string; schema: Record<string, unknown> } {
  return {
    path: SCHEMA_PATH,
    schema: JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>,
  };
}
