/**
 * Live API keys: a `KeyStore` whose keys come from API_KEYS_FILE and follow the file while the
 * gateway runs, so a revoked key stops working and a new one starts working without a restart.
 *
 * The file is re-read when its folder changes (`fs.watch` on the folder, not the file: Kubernetes
 * updates a mounted Secret by atomically swapping the `..data` symlink, and `npm run keys` writes a
 * temporary file and renames it over the old one; a watch on the file itself would follow the old
 * inode and miss both), on a poll of the content's hash (folders where watching does not work:
 * some network and overlay file systems), and on demand (SIGHUP). A read whose content is
 * unchanged does nothing.
 *
 * A file that cannot be read or does not validate keeps the previous keys in force, logs one
 * error naming the problem (once per distinct content, not once per poll) and counts a failure.
 * A valid file with no keys is put in force (every request then gets 401): a revocation must
 * always win over convenience. At start, by contrast, a missing, invalid or empty file stops the
 * gateway (`StartupError` naming API_KEYS_FILE).
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { KeyFileError, parseKeyFile, type ApiKeyEntry } from './key-file';
import type { KeyReloadObserver } from './key-reload-metrics';
import { createKeyStore, type KeyStore } from './key-store';
import { readKeyFileAtStart } from './key-file-at-start';

export interface LiveKeyStore extends KeyStore {
  /** Re-reads the file now (even when its content looks unchanged); resolves once done. */
  reload(reason: string): Promise<void>;
  /** Stops watching and polling. */
  close(): void;
}

export interface LiveKeyStoreOptions {
  /** API_KEYS_FILE. */
  readonly file: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly observer?: KeyReloadObserver;
  /** How often the content hash is checked besides the folder watch. */
  readonly pollMs?: number;
}

const DEFAULT_POLL_MS = 1000;
/** Changes come in bursts (temporary file, rename; symlink swap, old folder removed): read once. */
const SETTLE_MS = 50;

interface Loaded {
  readonly store: KeyStore;
  readonly entries: readonly ApiKeyEntry[];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function problemOf(error: unknown): string {
  if (error instanceof KeyFileError) return error.problems.join('; ');
  return (error as Error).message;
}

function parse(text: string, file: string): Loaded {
  const { keys } = parseKeyFile(text, `API_KEYS_FILE ${file}`);
  return { store: createKeyStore(keys), entries: keys };
}

/** Keys that can never write an event: the scope without any event type or sensor. */
function unusableKeys(entries: readonly ApiKeyEntry[]): string[] {
  return entries
    .filter(
      (entry) =>
        entry.scopes.includes('events:write') &&
        (entry.eventTypes.length === 0 || entry.sensors.length === 0),
    )
    .map((entry) => entry.id);
}

export function createLiveKeyStore(options: LiveKeyStoreOptions): LiveKeyStore {
  const { file, logger, observer } = options;
  const start = readKeyFileAtStart(file);
  let current: Loaded = { store: createKeyStore(start.entries), entries: start.entries };
  // What was last read (a content hash, or the read error's code): unchanged input is not re-parsed.
  let lastSeen = sha256(start.text);
  observer?.loaded(current.entries.length);
  const warnUnusable = (entries: readonly ApiKeyEntry[]): void => {
    const ids = unusableKeys(entries);
    if (ids.length > 0)
      logger.warn(
        { file, keyIds: ids },
        'API_KEYS_FILE: keys with events:write but no event types or no sensors can never write an event',
      );
  };
  warnUnusable(current.entries);

  const check = async (reason: string, force: boolean): Promise<void> => {
    let text: string | undefined;
    let seen: string;
    let readProblem: string | undefined;
    try {
      text = await readFile(file, 'utf8');
      seen = sha256(text);
    } catch (error) {
      readProblem = `cannot be read (${problemOf(error)})`;
      seen = `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
    }
    if (!force && seen === lastSeen) return;
    lastSeen = seen;
    let next: Loaded | undefined;
    let problem = readProblem;
    if (text !== undefined) {
      try {
        next = parse(text, file);
      } catch (error) {
        problem = `is not a valid API-key file: ${problemOf(error)}`;
      }
    }
    if (next === undefined) {
      observer?.failed();
      logger.error(
        { file, reason, problem, keysInForce: current.entries.length },
        `API_KEYS_FILE: ${file} ${problem ?? 'was refused'}; keeping the previous keys`,
      );
      return;
    }
    const before = new Set(current.entries.map((entry) => entry.id));
    const after = new Set(next.entries.map((entry) => entry.id));
    current = next;
    observer?.loaded(next.entries.length);
    logger.info(
      {
        file,
        reason,
        keys: after.size,
        added: [...after].filter((id) => !before.has(id)),
        removed: [...before].filter((id) => !after.has(id)),
      },
      'API_KEYS_FILE reloaded',
    );
    if (after.size === 0) logger.warn({ file }, 'API_KEYS_FILE holds no keys: every request gets 401');
    warnUnusable(next.entries);
  };

  // One check at a time; a request during a check runs once more after it (never lost, never piled up).
  let running: Promise<void> | undefined;
  let again: { reason: string; force: boolean } | undefined;
  const request = (reason: string, force: boolean): Promise<void> => {
    if (running !== undefined) {
      again = { reason, force: force || (again?.force ?? false) };
      return running;
    }
    running = (async () => {
      let next: { reason: string; force: boolean } | undefined = { reason, force };
      while (next !== undefined) {
        again = undefined;
        await check(next.reason, next.force);
        next = again;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let settle: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, () => {
      clearTimeout(settle);
      settle = setTimeout(() => void request('change', false), SETTLE_MS);
      settle.unref();
    });
    watcher.on('error', (error) => {
      logger.warn({ file, err: error }, 'API_KEYS_FILE: watching its folder failed; polling only');
      watcher?.close();
    });
  } catch (error) {
    logger.warn({ file, err: error }, 'API_KEYS_FILE: its folder cannot be watched; polling only');
  }
  const poll = setInterval(() => void request('poll', false), options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();
  logger.info({ file: basename(file), keys: current.entries.length }, 'API keys loaded');

  return Object.freeze({
    get development() {
      return false;
    },
    get keyIds() {
      return current.store.keyIds;
    },
    lookup: (presentedKey: string) => current.store.lookup(presentedKey),
    reload: (reason: string) => request(reason, true),
    close() {
      clearInterval(poll);
      clearTimeout(settle);
      watcher?.close();
    },
  });
}
