/**
 * Start-up failures the operator must fix: a setting and what is wrong with it. `main.ts` prints
 * them as one line (a JSON line in production), never with a stack, and exits 1. Anything that
 * is not a `StartupError` is a bug and is reported as one line too, but without a setting.
 */

export class StartupError extends Error {
  constructor(
    /** The environment variable to fix (`API_KEYS_FILE`, `PORT`, ...). */
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** Node's listen errors, in the operator's words, naming the variable that chose the port. */
export function listenError(
  error: unknown,
  setting: string,
  host: string,
  port: number,
  hostSetting = 'HOST',
): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return new StartupError(setting, `${setting}: ${where} is already in use (EADDRINUSE)`, { cause: error });
  if (code === 'EACCES')
    return new StartupError(setting, `${setting}: no permission to listen on ${where} (EACCES)`, {
      cause: error,
    });
  if (code === 'EADDRNOTAVAIL')
    return new StartupError(
      hostSetting,
      `${hostSetting}: ${host} is not an address of this machine (EADDRNOTAVAIL)`,
      {
        cause: error,
      },
    );
  return error instanceof Error ? error : new Error(String(error));
}
