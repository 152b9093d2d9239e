/**
 * Payload factories: unique sensor ids per test (so tests never see each other's events in the
 * shared emulator) and readings valid against schemas/telemetry.schema.json.
 */
import { randomUUID } from 'node:crypto';

export interface Reading {
  sensor_id: string;
  timestamp: string;
  temperature?: number;
  humidity?: number;
  message_id?: string;
  [field: string]: unknown;
}

/** `prefix-<8 random hex>`; short enough to stay well under the 128-character key limit. */
export function uniqueSensorId(prefix = 'sensor'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function reading(sensorId: string, fields: Partial<Reading> = {}): Reading {
  return {
    sensor_id: sensorId,
    timestamp: new Date().toISOString(),
    temperature: 20 + Math.round(Math.random() * 100) / 10,
    humidity: 40,
    ...fields,
  };
}

/** `n` readings of one sensor, numbered in `seq` tags so their order can be checked. */
export function readings(sensorId: string, n: number, fields: Partial<Reading> = {}): Reading[] {
  return Array.from({ length: n }, (_, i) => reading(sensorId, { ...fields, tags: { seq: String(i) } }));
}
