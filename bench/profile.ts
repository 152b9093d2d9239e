/** Finds the gateway's CPU profiles written during this run and summarises them (see cpuprofile-summary.ts). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, readProfiles, summarise, type ProfileSummary } from './cpuprofile-summary';

export function profileSummary(
  dir: string,
  sinceMs: number,
): { files: string[]; summary: ProfileSummary | undefined; text: string } {
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(dir, name))
        .filter((file) => statSync(file).mtimeMs >= sinceMs)
    : [];
  if (files.length === 0) {
    return {
      files,
      summary: undefined,
      text: `no CPU profile in ${dir}: did the gateway exit cleanly on SIGTERM?`,
    };
  }
  const summary = summarise(readProfiles(files));
  return { files, summary, text: `${formatSummary(summary)}\nprofiles: ${files.join(', ')}` };
}
