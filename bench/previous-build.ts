/**
 * The gateway as built from an earlier git revision, for `--against REV`: the revision's tracked
 * files are exported (`git archive`, so the working tree and its uncommitted changes stay out of
 * it) into `<results>/builds/<commit>/`, which borrows this checkout's node_modules, and compiled
 * with the revision's own `tsconfig.build.json`. A build is kept and reused by commit id, so a
 * second run against the same revision starts at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PreviousBuild {
  readonly commit: string;
  /** Root of the exported revision: the gateway runs with it as its working directory. */
  readonly dir: string;
}

function git(args: readonly string[], options: { cwd?: string } = {}): string {
  return execFileSync('git', args, { encoding: 'utf8', ...options }).trim();
}

export function preparePreviousBuild(revision: string, resultsDir: string): PreviousBuild {
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
  } catch {
    throw new Error(`--against ${revision}: not a commit of this repository`);
  }
  const dir = resolve(resultsDir, 'builds', commit.slice(0, 12));
  if (existsSync(join(dir, 'dist', 'src', 'main.js'))) return { commit, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = `${dir}.tar`;
  git(['archive', '--format=tar', '-o', archive, commit]);
  execFileSync('tar', ['-x', '-f', archive, '-C', dir]);
  rmSync(archive);
  // Dependencies added since that revision are harmless; ones it needs and this checkout lacks
  // fail the compile below, by name.
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: dir,
    stdio: 'inherit',
  });
  return { commit, dir };
}
