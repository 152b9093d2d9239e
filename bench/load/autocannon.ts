/** Parent side of the autocannon fallback: runs bench/load/autocannon-runner.ts in its own process. */
import { join } from 'node:path';
import { tsxNode } from '../child';
import { parseBenchJson, runToCompletion, type LoadResult, type LoadSpec } from './load-result';

export async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const { command, args } = tsxNode(join(__dirname, 'autocannon-runner.ts'));
  const output = await runToCompletion(
    { name: 'autocannon', command, args: [...args, JSON.stringify(spec)], cpus: spec.cpus },
    (spec.durationS + 60) * 1000,
  );
  return parseBenchJson(output, 'autocannon') as LoadResult;
}
