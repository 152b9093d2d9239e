/**
 * The request bodies the load generators send: telemetry readings as a device would post them.
 * Deterministic (a seeded generator, a fixed clock) so two runs send the same bytes, and varied
 * over `SENSOR_COUNT` sensor ids so partition keys spread over every partition.
 * Pure: no I/O; the caller writes the pool to a file for wrk's Lua script to read.
 */
import type { BodyKind } from './options';

export const SENSOR_COUNT = 1000;
export const READINGS_PER_BATCH = 100;
export const INGEST_PATH = '/v1/events/telemetry';

export interface TelemetryReading {
  readonly sensor_id: string;
  readonly timestamp: string;
  readonly temperature: number;
  readonly humidity: number;
}

export interface BodyPool {
  readonly kind: BodyKind;
  readonly eventsPerRequest: number;
  /** Each a complete JSON text without newlines. */
  readonly bodies: readonly string[];
  readonly meanBytes: number;
}

/** Mulberry32: a tiny seeded generator, enough to make readings look like readings. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TIME_MS = Date.UTC(2025, 5, 1, 0, 0, 0);
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** The `index`-th reading: ~145 bytes of JSON, sensor `index % SENSOR_COUNT`. */
export function reading(index: number, random: () => number): TelemetryReading {
  const sensor = index % SENSOR_COUNT;
  return {
    sensor_id: `eu-west/plant-berlin-007/greenhouse-${sensor % 8}/sensor-${String(sensor).padStart(6, '0')}`,
    timestamp: new Date(BASE_TIME_MS + index * 1000).toISOString(),
    temperature: round3(15 + random() * 15),
    humidity: round3(30 + random() * 50),
  };
}

/**
 * One body per sensor for single readings (so every request of a round has a different key);
 * for batches, `READINGS_PER_BATCH` consecutive readings per body, 50 bodies covering 5 000
 * readings, so each batch also spans many partitions.
 */
export function bodyPool(kind: BodyKind): BodyPool {
  const random = seeded(kind === 'single' ? 1 : 2);
  const bodies: string[] = [];
  if (kind === 'single') {
    for (let i = 0; i < SENSOR_COUNT; i++) bodies.push(JSON.stringify(reading(i, random)));
  } else {
    for (let b = 0; b < 50; b++) {
      const readings: TelemetryReading[] = [];
      for (let i = 0; i < READINGS_PER_BATCH; i++) readings.push(reading(b * READINGS_PER_BATCH + i, random));
      bodies.push(JSON.stringify(readings));
    }
  }
  const meanBytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0) / bodies.length;
  return { kind, eventsPerRequest: kind === 'single' ? 1 : READINGS_PER_BATCH, bodies, meanBytes };
}
