/** Parent side of the paced load: runs bench/load/paced-client.ts in its own (pinned) process. */
import { join } from 'node:path';
import { tsxNode } from '../child';
import { parseBenchJson, runToCompletion } from './load-result';
import type { PacedResult, PacedSpec } from './paced-client';

export async function runPaced(spec: PacedSpec): Promise<PacedResult> {
  const { command, args } = tsxNode(join(__dirname, 'paced-client.ts'));
  const output = await runToCompletion(
    { name: 'paced-client', command, args: [...args, JSON.stringify(spec)], cpus: spec.cpus },
    (spec.durationS + 90) * 1000,
  );
  return parseBenchJson(output, 'paced-client') as PacedResult;
}
