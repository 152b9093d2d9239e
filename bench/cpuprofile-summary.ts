/**
 * Summarises V8 `.cpuprofile` files (from `node --cpu-prof`): self time per function and per
 * module (a node_modules package, a project folder, or node's internals), summed over every
 * profile given so a `node:cluster` gateway's workers add up. Self time comes from the sample
 * time deltas, not hit counts, so a profile with an irregular sampling interval still adds up.
 * Pure core (`summarise`) plus a CLI: `tsx bench/cpuprofile-summary.ts <file.cpuprofile>...`.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly functions: readonly SelfTime[];
  readonly modules: readonly SelfTime[];
}

/** "express", "@azure/core-amqp", "src/batching", "node:internal", "(garbage collector)", ... */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch?.[1]) return packageMatch[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const projectMatch = /\/(dist\/)?(src|emulator|bench)\/([^/]+)\//.exec(url);
  if (projectMatch) return `${projectMatch[2]}/${projectMatch[3]}`;
  const fileMatch = /\/(dist\/)?(src|emulator|bench)\/[^/]+$/.exec(url);
  if (fileMatch) return fileMatch[2] ?? url;
  return url;
}

const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(dist\/)?(src|emulator|bench)\//, '$2/');

export function summarise(profiles: readonly CpuProfile[], top = 15): ProfileSummary {
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byModule = new Map<string, number>();
  let totalUs = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
      const us = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
      const node = nodes.get(samples[i] ?? -1);
      if (!node) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      totalUs += us;
      const name = functionName === '' ? '(anonymous)' : functionName;
      const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
      const key = `${name}@${where}`;
      const entry = byFunction.get(key) ?? { name, where, us: 0 };
      entry.us += us;
      byFunction.set(key, entry);
      const module = moduleOf(url, functionName);
      byModule.set(module, (byModule.get(module) ?? 0) + us);
    }
  }
  const share = (us: number): number => (totalUs > 0 ? us / totalUs : 0);
  return {
    totalMs: totalUs / 1000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((entry) => ({
        name: entry.name,
        where: entry.where,
        selfMs: entry.us / 1000,
        share: share(entry.us),
      })),
    modules: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, where: '', selfMs: us / 1000, share: share(us) })),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const line = (entry: SelfTime): string =>
    `  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.selfMs.toFixed(0).padStart(7)} ms  ${entry.name}${
      entry.where === '' ? '' : `  ${entry.where}`
    }`;
  return [
    `CPU profile: ${summary.totalMs.toFixed(0)} ms of samples (idle excluded)`,
    `top ${summary.functions.length} functions by self time:`,
    ...summary.functions.map(line),
    `by module:`,
    ...summary.modules.map(line),
  ].join('\n');
}

export function readProfiles(files: readonly string[]): CpuProfile[] {
  return files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile>...\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${formatSummary(summarise(readProfiles(files)))}\n`);
  }
}
