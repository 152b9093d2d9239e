/**
 * `.env` support: the file in the working directory, when present, fills in variables the real
 * environment does not set (the real environment always wins, as with dotenv and Docker's
 * `--env-file`). Parsed with Node's own `util.parseEnv`; the result is a new map, `process.env`
 * is not touched, so what the gateway runs with is visible in one place (`main.ts`).
 */
import { readFileSync } from 'node:fs';
import * as util from 'node:util';
import { StartupError } from './startup-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables of the file at `path`, or undefined when there is no such file. */
export function readEnvFile(path: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StartupError('.env', `.env: ${path} cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
  // `parseEnv` arrived in Node 20.12; `engines` allows older 20.x, which cannot read the file.
  if (typeof util.parseEnv !== 'function')
    throw new StartupError('.env', `.env: ${path} needs Node 20.12 or later to be read`);
  const parsed = util.parseEnv(text);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) if (value !== undefined) values[name] = value;
  return values;
}

/** `env` with the file's variables added where `env` has none (an empty real value still wins). */
export function withEnvFile(env: Env, fileValues: Readonly<Record<string, string>> | undefined): Env {
  if (fileValues === undefined) return env;
  const merged: Record<string, string | undefined> = { ...fileValues };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}
