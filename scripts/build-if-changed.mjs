// `npm start`'s prestart: compile only when a source or build setting is newer than the last
// build, and then incrementally (tsc --incremental keeps dist/.tsbuildinfo), so a start with
// nothing changed costs a directory walk instead of a full type-check and emit.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.tsbuildinfo');
const entry = join(root, 'dist', 'src', 'main.js');
const inputs = [
  'src',
  'emulator',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];

/**
 * Newest modification time (ms) of a file, or of every file below a folder.
 * @param {string} path
 * @returns {number}
 */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted or renamed file changes its folder
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

const built = existsSync(entry) ? (statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0) : 0;
const changed = Math.max(...inputs.map((input) => newest(join(root, input))));
if (built >= changed) {
  process.stdout.write('build: dist is up to date\n');
} else {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', stamp],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
  // tsc leaves its build info untouched when nothing it emits changed (a file only touched).
  const now = new Date();
  utimesSync(stamp, now, now);
}
