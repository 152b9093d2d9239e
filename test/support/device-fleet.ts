/**
 * Devices for fault tests, behaving like real ones: each sends its sensor's readings one at a time
 * (the next only after the previous one was acknowledged), retries a 503 or a broken connection
 * with the same message id after a short jittered backoff, and records every outcome with its
 * timing. A readiness sampler records what /readyz said meanwhile. The figures the fault suite
 * prints are computed from these records and from what landed in the emulator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_AUTH } from './harness';
import { reading } from './readings';

export interface Device {
  readonly sensorId: string;
  readonly partitionId: string;
}

export interface Outcome {
  readonly device: Device;
  readonly seq: number;
  /** HTTP status, or 0 when the request failed without an answer. */
  readonly status: number;
  readonly code: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface FleetOptions {
  /** Pause after an acknowledged reading. */
  readonly pauseMs?: number;
  /** First retry delay; doubles per retry of the same reading, capped at 4×. */
  readonly retryMs?: number;
  /** Client-side timeout of one request. */
  readonly requestTimeoutMs?: number;
}

export class DeviceFleet {
  readonly outcomes: Outcome[] = [];
  /** Message ids the gateway answered 200 for, per sensor, in order. */
  readonly acknowledged = new Map<string, string[]>();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly url: string;
  private readonly devices: readonly Device[];
  private readonly options: Required<FleetOptions>;

  constructor(url: string, devices: readonly Device[], options: FleetOptions = {}) {
    this.url = url;
    this.devices = devices;
    this.options = {
      pauseMs: options.pauseMs ?? 20,
      retryMs: options.retryMs ?? 100,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    };
  }

  start(): void {
    this.running = true;
    this.loops = this.devices.map((device) => this.run(device));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async run(device: Device): Promise<void> {
    const acked: string[] = [];
    this.acknowledged.set(device.sensorId, acked);
    let seq = 0;
    let retries = 0;
    while (this.running) {
      const messageId = `${device.sensorId}-${seq}`;
      const body = JSON.stringify(
        reading(device.sensorId, { message_id: messageId, tags: { seq: String(seq) } }),
      );
      const startedAt = performance.now();
      let status = 0;
      let code: string | undefined;
      try {
        const response = await fetch(`${this.url}/v1/events/telemetry`, {
          method: 'POST',
          headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        status = response.status;
        const text = await response.text();
        if (status !== 200) code = (JSON.parse(text) as { code?: string }).code;
      } catch {
        status = 0;
      }
      this.outcomes.push({ device, seq, status, code, startedAt, endedAt: performance.now() });
      if (status === 200) {
        acked.push(messageId);
        seq++;
        retries = 0;
        await sleep(this.options.pauseMs);
      } else {
        const delay = this.options.retryMs * Math.min(4, 2 ** retries++);
        await sleep(delay * (0.75 + Math.random() / 2));
      }
    }
  }
}

export interface ReadySample {
  readonly at: number;
  readonly status: number;
}

/** Polls /readyz every `everyMs` until stopped. */
export function sampleReadiness(
  url: string,
  everyMs = 100,
): { samples: ReadySample[]; stop(): Promise<void> } {
  const samples: ReadySample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      let status = 0;
      try {
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      samples.push({ at, status });
      await sleep(Math.max(0, everyMs - (performance.now() - at)));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}
