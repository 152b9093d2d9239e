/**
 * The key file as the gateway first reads it: unreadable, invalid or empty stops the start with a
 * `StartupError` naming API_KEYS_FILE (one line, every problem of the file listed).
 */
import { readFileSync } from 'node:fs';
import { StartupError } from '../config/startup-error';
import { KeyFileError, parseKeyFile, type ApiKeyEntry } from './key-file';

const SETTING = 'API_KEYS_FILE';

/** The entries of the key file at start, and its text; throws `StartupError` naming API_KEYS_FILE. */
export function readKeyFileAtStart(
  file: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { readonly entries: readonly ApiKeyEntry[]; readonly text: string } {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new StartupError(SETTING, `API_KEYS_FILE ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let entries: readonly ApiKeyEntry[];
  try {
    entries = parseKeyFile(text, `API_KEYS_FILE ${file}`).keys;
  } catch (error) {
    const problems = error instanceof KeyFileError ? error.problems.join('; ') : (error as Error).message;
    throw new StartupError(SETTING, `API_KEYS_FILE ${file} is not a valid API-key file: ${problems}`, {
      cause: error,
    });
  }
  if (entries.length === 0)
    throw new StartupError(
      SETTING,
      `API_KEYS_FILE ${file} holds no keys: every request would be refused. Add one with \`npm run keys -- create\`.`,
    );
  return { entries, text };
}
