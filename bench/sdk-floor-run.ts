/** Parent side of the SDK floor: runs bench/sdk-floor.ts in its own process on the targets' core. */
import { join } from 'node:path';
import { tsxNode } from './child';
import { parseBenchJson, runToCompletion } from './load/load-result';
import type { SdkFloorResult, SdkFloorSpec } from './sdk-floor';

export async function runSdkFloor(spec: SdkFloorSpec, cpus: string | undefined): Promise<SdkFloorResult> {
  const { command, args } = tsxNode(join(__dirname, 'sdk-floor.ts'));
  const output = await runToCompletion(
    { name: 'sdk-floor', command, args: [...args, JSON.stringify(spec)], cpus },
    (spec.durationS + 60) * 1000,
  );
  return parseBenchJson(output, 'sdk-floor') as SdkFloorResult;
}
