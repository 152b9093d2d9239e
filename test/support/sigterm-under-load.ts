/**
 * Load a spawned gateway with concurrent clients posting uniquely identified readings, send
 * SIGTERM once enough have been acknowledged, and report which message ids got a 200 — so a test
 * can check that every acknowledged reading is in the hub after the process is gone.
 */
import { DEV_AUTH } from './harness';
import { reading, uniqueSensorId } from './readings';
import type { SpawnedGateway } from './spawn-gateway';

export interface SigtermOutcome {
  /** Message ids of readings the gateway answered 200 for. */
  readonly acknowledged: readonly string[];
  /** Responses by status ('200', '503', ... or 'connection error'). */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Requests sent in all. */
  readonly sent: number;
}

export async function sigtermUnderLoad(
  gateway: SpawnedGateway,
  url: string,
  options: { clients: number; acknowledgedBeforeSignal: number; sensorPrefix: string },
): Promise<SigtermOutcome> {
  const acknowledged: string[] = [];
  const outcomes = new Map<string, number>();
  let signalled = false;
  let sent = 0;
  const client = async (c: number): Promise<void> => {
    const sensor = uniqueSensorId(`${options.sensorPrefix}${c}`);
    for (let n = 0; ; n++) {
      const ids = [0, 1, 2].map((k) => `${sensor}-${n}-${k}`);
      sent++;
      let status: string;
      try {
        const res = await fetch(`${url}/v1/events/telemetry`, {
          method: 'POST',
          headers: { ...DEV_AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify(ids.map((id) => reading(sensor, { message_id: id }))),
        });
        status = String(res.status);
        await res.arrayBuffer();
        if (res.status === 200) acknowledged.push(...ids);
      } catch {
        status = 'connection error';
      }
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
      // Keep going until the gateway is gone: after the signal, requests get 503 or a refused connection.
      if (signalled && status !== '200') return;
    }
  };
  const clients = Array.from({ length: options.clients }, (_, c) => client(c));
  // Signal once the load is flowing (poll the counter; no sleeping on a guess).
  const until = Date.now() + 15000;
  while (acknowledged.length < options.acknowledgedBeforeSignal && Date.now() < until)
    await new Promise((r) => setTimeout(r, 5));
  if (acknowledged.length < options.acknowledgedBeforeSignal)
    throw new Error(`only ${acknowledged.length} readings acknowledged before the signal`);
  gateway.child.kill('SIGTERM');
  signalled = true;
  await Promise.all(clients);
  return { acknowledged, outcomes, sent };
}
